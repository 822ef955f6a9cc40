"""mlaudit's rules, one module per theme. Installed as ``auditor.rules``; never import ``rules``."""
