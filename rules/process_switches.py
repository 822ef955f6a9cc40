"""Undocumented hacks that flip a switch for the whole process: warning filters and error-hiding
settings that throw every warning away, and TLS verification turned off.

Ages come from git blame after the scan (``auditor.scan.blame``) and raise the severity past
``escalate-after-days``, as for every undocumented hack (``code_hacks.py``, ``hacks.py``).
"""

from __future__ import annotations

import ast
import itertools
import re

from auditor.ml import frameworks as fw
from auditor.ml.paths import is_test_support_path
from auditor.rule import Invalid, ModuleRule, Valid
from auditor.rules.hacks import AGE_OPTIONS
from auditor.rules.value_origin import describe

# -- warnings ------------------------------------------------------------------------------------


def _is_constant(node: ast.AST, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value or (
        isinstance(node, ast.Constant) and type(node.value) is type(value) and node.value == value)


class GlobalWarningFilter(ModuleRule):
    """`warnings.filterwarnings("ignore")` or `warnings.simplefilter("ignore")` with no category,
    message or module: every warning of the process is hidden. Also `numpy.seterr(all="ignore")` and
    the process-wide switches that hide errors (`torch._dynamo.config.suppress_errors = True`,
    `pd.options.mode.chained_assignment = None`: the table in `auditor/ml/frameworks.py`).

    Filters scoped by category or message, or inside `with warnings.catch_warnings():`, are not
    reported. Notebooks are reported at the lowest severity.
    """

    id = "ML406"
    name = "global-warning-filter"
    category = "undocumented-hack"
    severity = "low"
    confidence = "high"
    options = dict(AGE_OPTIONS)
    rationale = ("Deprecation and data warnings (SettingWithCopy, convergence, dtype casts, NaNs in "
                 "numpy) are the early notice of silent result changes and upgrade breakage; a global ignore "
                 "throws all of them away, including the ones nobody has seen yet.")
    remediation = ("Filter only what you understand: `warnings.filterwarnings('ignore', category=FutureWarning, "
                   "module='sklearn')`, inside `with warnings.catch_warnings():` where possible.")
    examples = (
        Valid("import warnings\nwarnings.filterwarnings('ignore', category=DeprecationWarning)\n"
              "warnings.simplefilter('ignore', UserWarning)\nwarnings.filterwarnings('ignore', message='.*sparse.*')\n"
              "with warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n    noisy()\n"
              "warnings.simplefilter('error')\n"),
        Valid("import numpy as np\nwith np.errstate(all='ignore'):\n    r = a / b\nnp.seterr(divide='warn')\n"),
        Invalid("import warnings\nwarnings.filterwarnings('ignore')\nfrom warnings import simplefilter\n"
                "simplefilter(action='ignore')\n", expect=[2, 4]),
        Invalid("import numpy as np\nnp.seterr(all='ignore')\n", expect=[2]),
        Invalid("import torch._dynamo\nimport pandas as pd\ntorch._dynamo.config.suppress_errors = True\n"
                "pd.options.mode.chained_assignment = None\npd.set_option('mode.chained_assignment', None)\n",
                expect=[3, 4, 5], note="process-wide switches that hide errors"),
        Valid("import torch._dynamo\nimport pandas as pd\ntorch._dynamo.config.suppress_errors = False\n"
              "pd.options.mode.chained_assignment = 'raise'\npd.set_option('display.max_columns', None)\n"),
    )

    def check(self, module):
        yield from self._switches(module)
        for node in module.nodes(ast.Call):
            qualified = module.qualified_name(node.func)
            if qualified in fw.ERROR_HIDING_CALLS:
                option, value = fw.ERROR_HIDING_CALLS[qualified]
                if len(node.args) == 2 and _is_constant(node.args[0], option) and _is_constant(node.args[1], value):
                    yield module.finding(self, node.lineno, f"{qualified}({option!r}, {value!r}) hides its warnings "
                                         "in the whole process", severity="info" if module.is_notebook else None,
                                         evidence={"call": f"{qualified}({option!r}, {value!r})"})
                continue
            if qualified in ("warnings.filterwarnings", "warnings.simplefilter"):
                if not self._global_ignore(node):
                    continue
                what = f"{qualified}('ignore')"
            elif qualified == "numpy.seterr":
                every = next((k for k in node.keywords if k.arg == "all"), None)
                if every is None or not (isinstance(every.value, ast.Constant) and every.value.value == "ignore"):
                    continue
                what = "numpy.seterr(all='ignore')"
            else:
                continue
            if self._inside_catch_warnings(module, node):
                continue
            yield module.finding(self, node.lineno, f"{what} hides every warning in the process",
                                 severity="info" if module.is_notebook else None, evidence={"call": what})

    def _switches(self, module):
        """``torch._dynamo.config.suppress_errors = True`` and the like (auditor/ml/frameworks.py)."""
        for node in module.nodes(ast.Assign):
            for target in node.targets:
                qualified = module.qualified_name(target)
                if qualified in fw.ERROR_HIDING_SETTINGS and _is_constant(node.value, fw.ERROR_HIDING_SETTINGS[qualified]):
                    what = f"{qualified} = {fw.ERROR_HIDING_SETTINGS[qualified]!r}"
                    yield module.finding(self, node.lineno, f"{what} hides errors or warnings in the whole process",
                                         severity="info" if module.is_notebook else None, evidence={"setting": what})

    @staticmethod
    def _global_ignore(call) -> bool:
        action = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "action"), None)
        if not (isinstance(action, ast.Constant) and action.value == "ignore"):
            return False
        if len(call.args) > 1 or any(k.arg in ("category", "message", "module", "lineno") for k in call.keywords):
            return False
        return not any(k.arg is None for k in call.keywords)

    @staticmethod
    def _inside_catch_warnings(module, node) -> bool:
        current = module.parent(node)
        while current is not None:
            if isinstance(current, (ast.With, ast.AsyncWith)):
                for item in current.items:
                    expr = item.context_expr
                    if isinstance(expr, ast.Call) and module.qualified_name(expr.func) == "warnings.catch_warnings":
                        return True
            current = module.parent(current)
        return False


# -- TLS -----------------------------------------------------------------------------------------

_HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream",
                 "urlopen", "Session", "Client", "AsyncClient", "client", "resource", "download", "upload"}
_VERIFY_FLAGS = {"verify_ssl", "ssl_verify", "verify_certs", "verify_certificate"}
_TLS_ENV = {"CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "PYTHONHTTPSVERIFY", "SSL_CERT_FILE"}
# A condition that names the user's own switch for certificate checks (`if not config.verify_ssl:`).
_TLS_SWITCH = re.compile(r"verif|ssl|tls|insecure|cert", re.I)


def _switched_lines(module) -> set[int]:
    """Lines under an ``if`` whose condition is a setting about certificate checks."""
    lines: set[int] = set()
    for node in module.nodes(ast.If):
        if _TLS_SWITCH.search(ast.unparse(node.test)):
            for statement in node.body:
                lines.update(range(statement.lineno, (statement.end_lineno or statement.lineno) + 1))
    return lines


class TlsVerificationDisabled(ModuleRule):
    """TLS certificate verification is turned off: `verify=False` on an HTTP call,
    `ssl._create_unverified_context`, `ssl.CERT_NONE`, or an emptied `CURL_CA_BUNDLE`.

    Tests are left alone (a test talks to its own local server, and ships nowhere), a comparison with
    `ssl.CERT_NONE` (an assertion) turns nothing off, and an override under a user's switch
    (`if not config.verify_ssl:`) is medium, not high: someone chose it for their own set-up.
    """

    id = "ML408"
    name = "tls-verification-disabled"
    category = "undocumented-hack"
    severity = "high"
    confidence = "high"
    options = dict(AGE_OPTIONS)
    rationale = ("Without certificate checks anyone on the network path can swap the model weights, the "
                 "training data or the API responses the job downloads, and the swap leaves no trace.")
    remediation = ("Fix the trust store instead (`REQUESTS_CA_BUNDLE` pointing at the corporate CA, `certifi`), "
                   "and remove the override.")
    examples = (
        Valid("import requests\nr = requests.get('https://x', verify=True)\nr2 = requests.get('https://x', "
              "verify='/etc/ssl/ca.pem')\nmodel.fit(x, verify=False)\n"),
        Valid("import ssl\nctx = ssl.create_default_context()\nctx.verify_mode = ssl.CERT_REQUIRED\n"),
        Invalid("import requests\nr = requests.get('https://data.example/x.csv', verify=False)\n"
                "s = requests.Session()\nr2 = s.post(url, verify=False)\n", expect=[2, 4]),
        Invalid("import ssl\nimport os\nssl._create_default_https_context = ssl._create_unverified_context\n"
                "ctx = ssl.create_default_context()\nctx.verify_mode = ssl.CERT_NONE\n"
                "os.environ['CURL_CA_BUNDLE'] = ''\n", expect=[3, 5, 6]),
        Valid({"tests/conftest.py": "import requests\n\ndef get(url):\n    return requests.get(url, verify=False)\n"},
              note="a test's client of its own local server (feast)"),
        Valid("import ssl\n\ndef check(ctx):\n    assert ctx.verify_mode == ssl.CERT_NONE\n",
              note="comparing with CERT_NONE turns nothing off"),
        Invalid("import ssl\n\ndef context(config):\n    ctx = ssl.create_default_context()\n"
                "    if not config.verify_ssl:\n        ctx.verify_mode = ssl.CERT_NONE\n    return ctx\n",
                expect=[6], note="an opt-out the user switches on: reported at medium (feast)"),
    )

    def check(self, module):
        if is_test_support_path(module.path):
            return
        reported: set[int] = set()
        switched: set[int] | None = None  # unparsing every condition is costly: only once an override is found
        overrides = (self._verify_flags(module), self._unverified_contexts(module), self._emptied_env(module))
        for line, message, setting in itertools.chain(*overrides):
            if line not in reported:  # one finding per line
                reported.add(line)
                if switched is None:
                    switched = _switched_lines(module)
                if line in switched:
                    yield module.finding(self, line, message + " when the setting above asks for it", severity="medium",
                                         evidence={"setting": setting, "switched": True})
                else:
                    yield module.finding(self, line, message, evidence={"setting": setting})

    def _verify_flags(self, module):
        """``verify=False`` on an HTTP call, or a ``verify_ssl=False``-style flag anywhere."""
        for node in module.nodes(ast.Call):
            for keyword in node.keywords:
                if not (isinstance(keyword.value, ast.Constant) and keyword.value.value is False):
                    continue
                if keyword.arg in _VERIFY_FLAGS or (keyword.arg == "verify" and self._http_call(module, node)):
                    yield (node.lineno, f"{keyword.arg}=False turns off TLS certificate checks for "
                           f"{describe(node.func, 60)}", keyword.arg)

    @staticmethod
    def _unverified_contexts(module):
        """``ssl.CERT_NONE`` or ``ssl._create_unverified_context`` used as a value (assigned, passed,
        called), not compared with (an assertion that something is off turns nothing off)."""
        compared = {id(side) for node in module.nodes(ast.Compare) for side in (node.left, *node.comparators)}
        for node in module.nodes(ast.Attribute):
            qualified = module.qualified_name(node)
            if qualified in ("ssl._create_unverified_context", "ssl.CERT_NONE") and id(node) not in compared:
                yield node.lineno, f"{qualified} accepts any certificate", qualified

    @staticmethod
    def _emptied_env(module):
        """``os.environ["CURL_CA_BUNDLE"] = ""`` and the like."""
        for node in module.nodes(ast.Assign):
            if not (isinstance(node.value, ast.Constant) and node.value.value in ("", "0")):
                continue
            for target in node.targets:
                if isinstance(target, ast.Subscript) and module.qualified_name(target.value) == "os.environ":
                    key = target.slice
                    if isinstance(key, ast.Constant) and key.value in _TLS_ENV:
                        yield node.lineno, f"{key.value} is emptied, which turns off certificate checks", key.value

    @staticmethod
    def _http_call(module, call) -> bool:
        qualified = module.qualified_name(call.func) or ""
        if qualified.split(".")[0] in ("requests", "httpx", "urllib3", "aiohttp", "boto3", "botocore", "pysolr"):
            return True
        return isinstance(call.func, ast.Attribute) and call.func.attr in _HTTP_METHODS
