# The key ring that seals secrets at rest in Firestore (AES-256-GCM): webhook signing secrets
# (whsec_...), POS credentials (tokens, AWS keys) and a stored response that holds a secret (the
# replay of POST /webhooks or rotate-secret). Its value is one or more base64 keys of 32 bytes,
# comma-separated, newest first: the first seals, every one opens. The functions that touch a
# secret (var.secret_functions) read it as INVENTORY_WEBHOOK_SECRET_KEY. Terraform creates the
# secret but never its value, so no key is in the state file:
#   head -c 32 /dev/urandom | base64 | gcloud secrets versions add inventory-webhook-secret-key --data-file=-
# Rotation (README, "Secrets at rest"): add a version "OLD,NEW" and apply with
# -var secret_key_version=<it>; then "NEW,OLD", apply, `inventory-admin reencrypt-secrets`; then
# "NEW", apply, and disable the old versions.

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

# Only the functions that open or seal a secret may read the key ring.
resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = toset(var.secret_functions)

  secret_id = google_secret_manager_secret.webhook_secret_key.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function[each.value].member
}
