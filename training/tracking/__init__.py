"""MLflow logging for skrl agents: the update wrapper, metric names, and the background sender.

`UpdateLogger` (wrapper.py) collects what skrl tracks; `MetricPipeline` (sender.py) reduces,
names, records and sends it off the training thread; names.py holds the skrl tag -> MLflow
name mapping documented in docs/metrics.md.
"""
