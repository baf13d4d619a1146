# The key that encrypts webhook signing secrets (whsec_...) at rest in Firestore. Terraform
# creates the secret but never its value, so the key is not in the state file:
#   head -c 32 /dev/urandom | base64 | gcloud secrets versions add inventory-webhook-secret-key --data-file=-

resource "google_secret_manager_secret" "webhook_secret_key" {
  secret_id = "inventory-webhook-secret-key"

  replication {
    dynamic "auto" {
      for_each = var.kms_key_name == null ? [1] : []
      content {}
    }
    dynamic "user_managed" {
      for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
      content {
        replicas {
          location = var.region
          customer_managed_encryption {
            kms_key_name = user_managed.value
          }
        }
      }
    }
  }
}

resource "google_secret_manager_secret_iam_member" "http_accessor" {
  secret_id = google_secret_manager_secret.webhook_secret_key.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.http.member
}

resource "google_secret_manager_secret_iam_member" "worker_accessor" {
  secret_id = google_secret_manager_secret.webhook_secret_key.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.worker.member
}
