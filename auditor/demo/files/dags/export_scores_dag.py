"""Nightly export of churn scores to the CRM. Nobody owns it."""

from datetime import datetime

from airflow import DAG
from airflow.operators.python import PythonOperator


def export_scores():
    import pandas as pd

    pd.read_parquet("data/scores.parquet").to_csv("/tmp/crm_export.csv")


with DAG("export_scores", start_date=datetime(2025, 3, 1), schedule="0 2 * * *",
         default_args={"owner": "airflow"}, catchup=False) as dag:
    PythonOperator(task_id="export", python_callable=export_scores)
