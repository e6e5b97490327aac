"""Runs inside the mlflow peer's own virtualenv: fit the PEERS.md pipeline and save it for `mlflow models serve`.

    python mlflow_model.py TRAIN_CSV OUT_DIR
"""

import csv
import sys

import mlflow.sklearn
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC

train_csv, out_dir = sys.argv[1], sys.argv[2]
with open(train_csv, newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
texts = [r["text"] for r in rows]
labels = [r["category"] for r in rows]
# pyfunc hands the model a DataFrame: flatten its one column first, or TF-IDF sees one document.
pipe = Pipeline([
    ("flatten", FunctionTransformer(np.ravel)),
    ("features", FeatureUnion([
        ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
    ])),
    ("svm", LinearSVC(C=0.5)),
])
pipe.fit(np.array(texts).reshape(-1, 1), labels)
mlflow.sklearn.save_model(pipe, out_dir, serialization_format="skops", skops_trusted_types=["numpy.ravel"])
print("saved", out_dir)
