"""What serving is: the libraries that serve a model online, and the paths that name a service."""

from __future__ import annotations

import re

SERVING_LIBS = ("fastapi", "flask", "starlette", "bentoml", "ray.serve", "kserve", "seldon_core", "mlserver",
                "litserve", "aiohttp.web", "tornado.web", "sanic", "ts.torch_handler", "sagemaker_inference",
                "cog", "falcon", "django", "grpc", "tritonclient", "triton_python_backend_utils")
# Where serving starts, by path: a path part that is a serving word ("serve.py", "api/routes.py",
# "batch_inference.py"). The training-serving skew rule roots its serving side here.
SERVING_ENTRY = re.compile(r"(^|[/_])(serve|serving|server|predict|prediction|inference|api|app)([/_.]|$)")
# A service module by its file name ("serve.py", "my_app.py", "handler.py", "endpoints.py"): what the
# readiness checks read as serving code when it imports no serving library.
SERVING_MODULE = re.compile(r"(^|[/_])(serve|server|serving|app|api|inference|predictor|handler|endpoint)s?\.py$")


def is_serving_entry(path: str) -> bool:
    return bool(SERVING_ENTRY.search(path.lower()))


def is_serving_module(path: str) -> bool:
    return bool(SERVING_MODULE.search(path.lower()))
