"""The class as the instructor sees it: each learner's checks, recorded where only the hub's
instructor service may read them (record.py), and that service's live view (service.py)."""
