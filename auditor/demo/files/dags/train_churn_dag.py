"""Weekly retraining of the churn model (owned: CODEOWNERS and default_args name the team)."""

from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator

default_args = {"owner": "ml-platform", "email": ["ml-platform@acme.example"], "retries": 2}

with DAG("train_churn", start_date=datetime(2025, 1, 1), schedule="@weekly",
         default_args=default_args, catchup=False) as dag:
    BashOperator(task_id="train", bash_command="python -m churn.train --config configs/train.yaml")
