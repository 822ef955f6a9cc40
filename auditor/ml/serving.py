"""What serving is: the libraries that serve a model online and the paths that name a service."""

from __future__ import annotations

import re

SERVING_LIBS = ("fastapi", "flask", "starlette", "bentoml", "ray.serve", "kserve", "seldon_core", "mlserver",
                "litserve", "aiohttp.web", "tornado.web", "sanic", "ts.torch_handler", "sagemaker_inference",
                "cog", "falcon", "django", "grpc", "tritonclient", "triton_python_backend_utils")
# A path part that names a service or an inference entry point ("serve.py", "api/routes.py",
# "batch_inference.py", "predictor.py").
SERVING_PATH = re.compile(r"(^|[/_])(serve|serving|server|predict|predictor|prediction|inference|api|app|handler|"
                          r"endpoint)s?([/_.]|$)")


def is_serving_path(path: str) -> bool:
    """The file is a service or inference entry point, by its path."""
    return bool(SERVING_PATH.search(path.lower()))
