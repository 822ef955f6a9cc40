"""Online scoring API."""

import logging
import pickle

import joblib
import pandas as pd
import yaml
from fastapi import FastAPI

from churn.features import FEATURES

log = logging.getLogger(__name__)
app = FastAPI()

with open("models/churn_model.pkl", "rb") as handle:
    model = pickle.load(handle)
fraud_model = joblib.load("models/fraud_model.joblib")
baseline = joblib.load("models/baseline_model.joblib")

with open("configs/train.yaml") as handle:
    settings = yaml.load(handle, Loader=yaml.Loader)


@app.post("/predict")
def predict(payload: dict) -> dict:
    row = pd.DataFrame([payload])[FEATURES]
    score = float(model.predict_proba(row)[0, 1])
    log.info("scored", extra={"score": score})
    return {"churn_probability": score, "baseline": float(baseline.predict_proba(row)[0, 1])}
