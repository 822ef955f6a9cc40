"""Churn prediction: features, training, serving."""
