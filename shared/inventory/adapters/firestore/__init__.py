"""The cloud store: Google Cloud Firestore, one Firestore transaction per use case."""
from .store import FirestoreStore

__all__ = ["FirestoreStore"]
