"""Explanations: SHAP, LIME and attention weights behind one explain() (issue: explain)."""
