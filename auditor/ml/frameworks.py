"""What ML, web, pipeline and test frameworks call on the user's behalf, as data.

Dead-code analysis treats these as roots: a framework that calls ``forward`` or a route function is
a caller this repository never spells out. Tables are plain data so that adding a framework is a
one-line change with a test (tests/test_frameworks.py).
"""

from __future__ import annotations

import re
from functools import lru_cache

# Decorators that only wrap a function and register nothing: a function decorated with these is
# judged like an undecorated one. Every other decorator may store the function somewhere (routes,
# tasks, fixtures, registries), so the function counts as used.
TRANSPARENT_DECORATORS = frozenset({
    "functools.wraps", "functools.lru_cache", "functools.cache", "functools.cached_property",
    "functools.total_ordering", "property", "staticmethod", "classmethod", "cached_property",
    "typing.overload", "typing.final", "typing_extensions.final", "contextlib.contextmanager",
    "contextlib.asynccontextmanager", "torch.no_grad", "torch.inference_mode", "torch.enable_grad",
    "torch.compile", "torch.jit.script", "torch.jit.unused", "torch.jit.ignore", "numba.jit", "numba.njit",
    "jax.jit", "tensorflow.function", "dataclasses.dataclass", "deprecated", "deprecated.deprecated",
    "typing.no_type_check",
})

# Decorators by framework, for evidence ("kept: FastAPI route"). Keys are qualified-name patterns:
# a trailing "." matches any attribute of an object (``app.post``), "*" any module prefix.
FRAMEWORK_DECORATORS: dict[str, tuple[str, ...]] = {
    "FastAPI/Starlette route": ("*.get", "*.post", "*.put", "*.delete", "*.patch", "*.head", "*.options",
                                "*.websocket", "*.api_route", "*.on_event", "*.middleware",
                                "*.exception_handler"),
    "Flask route": ("*.route", "*.before_request", "*.after_request", "*.errorhandler", "*.teardown_request",
                    "*.cli.command"),
    "click/typer command": ("click.command", "click.group", "*.command", "*.group", "*.callback",
                            "typer.Typer.command"),
    "pytest fixture or hook": ("pytest.fixture", "pytest.hookimpl", "pytest.mark.*"),
    "Airflow task or DAG": ("airflow.decorators.task", "airflow.decorators.dag", "airflow.decorators.*",
                            "airflow.sdk.*", "*.task.*"),
    "Prefect flow or task": ("prefect.flow", "prefect.task"),
    "Dagster definition": ("dagster.asset", "dagster.op", "dagster.job", "dagster.graph", "dagster.sensor",
                           "dagster.schedule", "dagster.multi_asset", "dagster.graph_asset", "dagster.*"),
    "Kubeflow component or pipeline": ("kfp.dsl.component", "kfp.dsl.pipeline", "kfp.components.*",
                                       "kfp.dsl.*", "kfp.v2.dsl.*"),
    "Ray remote or Serve deployment": ("ray.remote", "ray.serve.deployment", "ray.serve.ingress", "*.remote"),
    "Celery task": ("celery.shared_task", "*.task", "celery.task"),
    "Hydra entry point": ("hydra.main",),
    "registration": ("*.register", "*.register_module", "*.register_model", "atexit.register",
                     "*.add_command", "*.hook", "*.listens_for", "*.validator", "*.field_validator",
                     "*.model_validator", "*.root_validator", "*.setter", "*.deleter", "*.getter"),
    "override": ("typing.override", "typing_extensions.override", "overrides.overrides",
                 "abc.abstractmethod", "abc.abstractproperty", "abc.abstractclassmethod"),
}

# Decorators of a function that runs as a process of its own (a Metaflow step, an Airflow or
# Dagster task in its worker, a Kubeflow component in its container, a Ray task): a seed the project
# sets outside that function and its module does not pin its draws.
PROCESS_START_DECORATORS = ("metaflow.step", "airflow.decorators.task", "airflow.decorators.task.*", "airflow.sdk.task",
                            "airflow.sdk.task.*", "dagster.op", "dagster.asset", "dagster.multi_asset",
                            "kfp.dsl.component", "kfp.v2.dsl.component", "kfp.components.create_component_from_func",
                            "ray.remote")


def starts_own_process(decorators: tuple[str, ...] | list[str]) -> bool:
    return any(_matches(d, p) for d in decorators for p in PROCESS_START_DECORATORS)


# Methods frameworks call by name (framework -> names). Any method with one of these names is
# kept, even when its class derives from a project class the analysis cannot see through.
FRAMEWORK_METHODS: dict[str, frozenset[str]] = {
    "PyTorch nn.Module / Dataset": frozenset({
        "forward", "extra_repr", "reset_parameters", "_init_weights", "_load_from_state_dict",
        "_save_to_state_dict", "_apply", "state_dict", "load_state_dict", "named_parameters"}),
    "PyTorch Lightning": frozenset({
        "training_step", "validation_step", "test_step", "predict_step", "configure_optimizers",
        "configure_callbacks", "configure_model", "configure_sharded_model", "training_epoch_end",
        "validation_epoch_end", "test_epoch_end", "train_dataloader", "val_dataloader", "test_dataloader",
        "predict_dataloader", "prepare_data", "setup", "teardown", "backward", "optimizer_step",
        "optimizer_zero_grad", "lr_scheduler_step", "transfer_batch_to_device", "state_dict",
        "load_state_dict", "log_hyperparams", "log_metrics", "experiment", "version", "name"}),
    "Keras Layer / Model / Callback": frozenset({
        "call", "build", "get_config", "from_config", "compute_output_shape", "compute_mask", "train_step",
        "test_step", "predict_step", "compute_loss", "compute_metrics", "update_state", "result",
        "reset_state", "reset_states", "get_build_config", "build_from_config"}),
    "scikit-learn estimator protocol": frozenset({
        "fit", "transform", "fit_transform", "predict", "predict_proba", "predict_log_proba",
        "decision_function", "score", "score_samples", "get_params", "set_params", "inverse_transform",
        "partial_fit", "fit_predict", "get_feature_names_out", "get_n_splits", "split", "_more_tags",
        "__sklearn_tags__", "__sklearn_is_fitted__", "set_output", "get_metadata_routing"}),
    "unittest / pytest classes": frozenset({
        "setUp", "tearDown", "setUpClass", "tearDownClass", "asyncSetUp", "asyncTearDown", "setup_method",
        "teardown_method", "setup_class", "teardown_class", "setup", "teardown", "runTest"}),
    "standard library protocols": frozenset({
        "run", "emit", "default", "handle", "filter", "format", "close", "flush", "get", "generic_visit",
        "setUpModule", "tearDownModule"}),
    "Ray Serve / Celery / MLflow pyfunc": frozenset({
        "reconfigure", "load_context", "predict", "on_failure", "on_success", "on_retry", "after_return"}),
    "Hugging Face": frozenset({
        "_init_weights", "get_input_embeddings", "set_input_embeddings", "get_output_embeddings",
        "set_output_embeddings", "prepare_inputs_for_generation", "_reorder_cache", "compute_loss",
        "on_train_begin", "on_train_end", "on_step_end", "on_evaluate", "on_log", "on_save"}),
}
# Method name prefixes frameworks dispatch on (callbacks, visitors, HTTP handlers, tests).
FRAMEWORK_METHOD_PREFIXES = ("on_", "visit_", "depart_", "do_", "test_", "handle_", "validate_", "clean_")

# Module-level functions frameworks call by name, and the names' framework.
FRAMEWORK_FUNCTIONS: dict[str, str] = {
    "lambda_handler": "AWS Lambda handler", "handler": "serverless handler",
    "model_fn": "SageMaker inference handler", "input_fn": "SageMaker inference handler",
    "predict_fn": "SageMaker inference handler", "output_fn": "SageMaker inference handler",
    "transform_fn": "SageMaker inference handler", "init": "Azure ML / scoring script entry",
    "run": "Azure ML / scoring script entry", "main": "script entry point", "create_app": "Flask app factory",
    "setup": "Sphinx/setuptools hook", "load_tests": "unittest protocol", "setup_module": "pytest hook",
    "teardown_module": "pytest hook", "setup_function": "pytest hook", "teardown_function": "pytest hook",
    "__getattr__": "module protocol", "__dir__": "module protocol", "get_app": "ASGI/WSGI factory",
    "_mp_fn": "torch_xla xla_spawn entry",
    # TFX components load a "module file" by path and call these by name.
    "run_fn": "TFX Trainer module file", "trainer_fn": "TFX Trainer module file (estimator)",
    "preprocessing_fn": "TFX Transform module file", "tuner_fn": "TFX Tuner module file",
    "stats_options_updater_fn": "TFX StatisticsGen module file",
}
FRAMEWORK_FUNCTION_PREFIXES = {"pytest_": "pytest hook", "test_": "test function"}
# (event, context) is the calling convention of every serverless handler.
HANDLER_PARAMETERS = ("event", "context")
# Google Cloud Functions load main.py from the deployed folder and call its entry point by name: an
# HTTP function takes (request), a CloudEvent function (cloud_event).
CLOUD_FUNCTION_FILE = "main.py"
CLOUD_FUNCTION_PARAMETERS = (("request",), ("cloud_event",))


def is_serverless_handler(path: str, qualname: str, positional: list[str]) -> bool:
    """Whether a function is called by a serverless runtime because of its parameters (and file)."""
    if tuple(positional[:2]) == HANDLER_PARAMETERS:
        return True
    return "." not in qualname and path.rsplit("/", 1)[-1] == CLOUD_FUNCTION_FILE \
        and tuple(positional) in CLOUD_FUNCTION_PARAMETERS

# External base classes whose subclasses a runner discovers in the file it is given (test runners,
# manim, locust, metaflow, scrapy, Django commands): such a class needs no caller in the code.
RUNNER_BASES = ("TestCase", "Scene", "ThreeDScene", "MovingCameraScene", "HttpUser", "FastHttpUser", "User",
                "TaskSet", "LoadTestShape", "FlowSpec", "Spider", "BaseCommand", "Command", "Task", "Plugin")

# Bases that do not make a class "external" (their methods are not overrides of anything).
NEUTRAL_BASES = frozenset({"object", "typing.Generic", "Generic"})

# Module files that tools run by name.
ENTRY_FILE_NAMES = frozenset({
    "setup.py", "conftest.py", "__main__.py", "manage.py", "noxfile.py", "fabfile.py", "tasks.py",
    "conf.py", "wsgi.py", "asgi.py", "app.py", "main.py", "dodo.py", "hubconf.py",
})
# Directories whose Python files are run as scripts, examples or docs, never imported.
SCRIPT_DIRECTORIES = frozenset({
    "scripts", "script", "bin", "tools", "examples", "example", "docs", "doc", "benchmarks", "benchmark",
    "notebooks", "dags", "airflow", "pipelines", "deploy", "ci", ".github", "utils_scripts", "demo",
})
# Imports that exist for their side effects (they register things when imported).
SIDE_EFFECT_IMPORTS = frozenset({
    "readline", "rlcompleter", "torch_xla", "tensorflow_addons", "pandas_profiling", "ydata_profiling",
    "hvplot.pandas", "swifter", "pandarallel", "modin.pandas", "dotenv.load_dotenv",
})

_DUNDER = re.compile(r"^__\w+__$")


def is_dunder(name: str) -> bool:
    return bool(_DUNDER.match(name))


def _matches(decorator: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return decorator == pattern[2:] or decorator.endswith(pattern[1:])
    if pattern.endswith(".*"):
        return decorator.startswith(pattern[:-1])
    return decorator == pattern


@lru_cache(maxsize=4096)  # the same few decorators decorate most definitions of a project
def decorator_reason(decorator: str) -> str | None:
    """Why a function with this decorator is called by something else, or None if it is not."""
    if decorator in TRANSPARENT_DECORATORS or decorator.rsplit(".", 1)[-1] in ("wraps", "lru_cache", "cache"):
        return None
    for label, patterns in FRAMEWORK_DECORATORS.items():
        if any(_matches(decorator, p) for p in patterns):
            return label
    return f"decorated with @{decorator} (may register the function)"


@lru_cache(maxsize=4096)
def method_reason(name: str) -> str | None:
    if is_dunder(name):
        return "special method"
    for label, names in FRAMEWORK_METHODS.items():
        if name in names:
            return label
    if name.startswith(FRAMEWORK_METHOD_PREFIXES):
        return "framework callback by prefix"
    return None


def function_reason(name: str, parameters: list[str] | None = None) -> str | None:
    if name in FRAMEWORK_FUNCTIONS:
        return FRAMEWORK_FUNCTIONS[name]
    for prefix, label in FRAMEWORK_FUNCTION_PREFIXES.items():
        if name.startswith(prefix):
            return label
    if parameters and tuple(parameters[:2]) == HANDLER_PARAMETERS:
        return "serverless handler (event, context)"
    return None


# Process-wide switches that hide errors or warnings when set to this value (qualified target ->
# value): a global ignore as surely as ``warnings.filterwarnings("ignore")``.
ERROR_HIDING_SETTINGS: dict[str, object] = {
    "torch._dynamo.config.suppress_errors": True,  # compile errors fall back to eager, silently
    "pandas.options.mode.chained_assignment": None,  # SettingWithCopyWarning off
}
# The same switches through a setter call: qualified function -> (option name, value).
ERROR_HIDING_CALLS: dict[str, tuple[str, object]] = {
    "pandas.set_option": ("mode.chained_assignment", None),
}


# Folders of config modules that a script runs by path with exec(open(path).read()) (nanoGPT's
# config/*.py, named on the command line): their assignments are read by the script.
EXECUTED_CONFIG_FOLDERS = frozenset({"config", "configs", "conf", "cfg", "settings", "experiments"})


# Files a loader imports by path and whose public top-level names it reads: file name -> the loader.
# torch.hub.load(repo, "resnet18") calls hubconf.resnet18 and reads hubconf.dependencies.
LOADED_BY_NAME_FILES: dict[str, str] = {"hubconf.py": "torch.hub entry point (hubconf.py)"}


# Loaders that import every module of a package (or each module of a list) and collect what is
# defined there: Dagster's definitions loaders. Qualified function -> how its argument names the
# modules ("package": a package module or its dotted name, every module under it; "modules": a list
# of modules, each one).
PACKAGE_LOADERS: dict[str, str] = {
    **{f"dagster.{name}": "package" for name in (
        "load_assets_from_package_module", "load_assets_from_package_name",
        "load_asset_checks_from_package_module", "load_asset_checks_from_package_name",
        "load_definitions_from_package_module", "load_definitions_from_package_name",
        "components.load_defs", "load_defs")},
    **{f"dagster.{name}": "modules" for name in (
        "load_assets_from_modules", "load_asset_checks_from_modules", "load_definitions_from_modules")},
}
# Dagster's `dg` projects load the modules of their defs folder by path: pyproject's
# [tool.dg.project] root_module (and defs_module, default ROOT.defs).
DAGSTER_PROJECT_TABLE = ("tool", "dg", "project")
