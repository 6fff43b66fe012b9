#!/usr/bin/env bash
# Deploys Wrapper to Azure, the same steps as the original's manual deployment, scripted:
#   1. resource group
#   2. container registry (created once, admin user off)
#   3. image built inside the registry (az acr build) from the committed sources
#   4. the APIM-to-backend key (reused from Key Vault, or generated once)
#   5. Bicep deployment of deploy/bicep/main.bicep with main.bicepparam (monitoring, identity, Key Vault,
#      Container Apps environment + five apps, API Management + API + backends + policy)
#   6. outputs, and a smoke test through API Management
#
# Required:  AZURE_RESOURCE_GROUP, AZURE_LOCATION, APIM_PUBLISHER_EMAIL
# Optional:  everything main.bicepparam reads (OPENAI_ENDPOINT, OPENAI_MODEL_DEPLOYMENT_NAME,
#            OPENAI_ACCOUNT_RESOURCE_ID, AZURE_AI_PROJECT_ENDPOINT, AZURE_AI_AGENT_ID or AZURE_AI_AGENT_NAME/_VERSION,
#            WRAPPER_AGENTS, OPENAI_COMPATIBLE_MODELS (JSON), APIM_SKU, APIM_POLICY, …),
#            AZURE_CONTAINER_REGISTRY (default: derived from the resource group), IMAGE_TAG (default: the
#            commit), SMOKE_TEST=false to skip step 6's requests.
# Needs:     az (logged in: az login), git, openssl, curl, tar.
#
# Example:
#   AZURE_RESOURCE_GROUP=rg-wrapper AZURE_LOCATION=swedencentral APIM_PUBLISHER_EMAIL=platform@contoso.com \
#   OPENAI_ENDPOINT=https://my-openai.openai.azure.com/ OPENAI_MODEL_DEPLOYMENT_NAME=gpt-4o \
#   OPENAI_ACCOUNT_RESOURCE_ID=/subscriptions/…/resourceGroups/…/providers/Microsoft.CognitiveServices/accounts/my-openai \
#   deploy/scripts/deploy.sh
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)

: "${AZURE_RESOURCE_GROUP:?set AZURE_RESOURCE_GROUP (the resource group is created when missing)}"
: "${AZURE_LOCATION:?set AZURE_LOCATION, e.g. swedencentral}"
: "${APIM_PUBLISHER_EMAIL:?set APIM_PUBLISHER_EMAIL (API Management sends its notifications there)}"
export APIM_PUBLISHER_EMAIL

log() { printf '\n==> %s\n' "$*" >&2; }

for tool in az git openssl curl tar; do
  command -v "$tool" > /dev/null || { echo "deploy.sh needs '$tool' on the PATH" >&2; exit 1; }
done
subscription_id=$(az account show --query id --output tsv) || { echo "run 'az login' first" >&2; exit 1; }
log "Subscription $(az account show --query name --output tsv) ($subscription_id)"

# 1. Resource group -------------------------------------------------------------------------------------
log "Resource group $AZURE_RESOURCE_GROUP in $AZURE_LOCATION"
az group create --name "$AZURE_RESOURCE_GROUP" --location "$AZURE_LOCATION" --tags application=wrapper --output none
resource_group_id=$(az group show --name "$AZURE_RESOURCE_GROUP" --query id --output tsv)

# 2. Container registry ---------------------------------------------------------------------------------
if [[ -z "${AZURE_CONTAINER_REGISTRY:-}" ]]; then
  # Registry names are global, 5-50 lowercase alphanumerics: derive a stable one from the resource group.
  AZURE_CONTAINER_REGISTRY="crwrapper$(printf '%s' "$resource_group_id" | sha256sum | cut -c1-12)"
fi
export AZURE_CONTAINER_REGISTRY
if az acr show --name "$AZURE_CONTAINER_REGISTRY" --resource-group "$AZURE_RESOURCE_GROUP" --output none 2> /dev/null; then
  log "Registry $AZURE_CONTAINER_REGISTRY exists"
else
  log "Creating registry $AZURE_CONTAINER_REGISTRY"
  az acr create --name "$AZURE_CONTAINER_REGISTRY" --resource-group "$AZURE_RESOURCE_GROUP" \
    --location "$AZURE_LOCATION" --sku Basic --admin-enabled false --output none
fi

# 3. Image ----------------------------------------------------------------------------------------------
# The build context is `git archive HEAD`: exactly the commit the tag names, without bin/, obj/ or secrets.
commit=$(git -C "$repo_root" rev-parse --short=12 HEAD)
if [[ -n "$(git -C "$repo_root" status --porcelain -- src Directory.Build.props Directory.Packages.props)" ]]; then
  echo "warning: uncommitted changes under src/ are not part of the image (it is built from commit $commit)" >&2
fi
IMAGE_TAG=${IMAGE_TAG:-$commit}
export WRAPPER_IMAGE="wrapper-api:$IMAGE_TAG"
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
git -C "$repo_root" archive --format=tar HEAD | tar -x -C "$context"
# az acr build reads .dockerignore at the context root, and the Dockerfile must not sit in an ignored folder.
cp "$repo_root/deploy/container/Dockerfile" "$context/Dockerfile"
cp "$repo_root/deploy/container/Dockerfile.dockerignore" "$context/.dockerignore"
log "Building $WRAPPER_IMAGE in $AZURE_CONTAINER_REGISTRY"
az acr build --registry "$AZURE_CONTAINER_REGISTRY" --image "$WRAPPER_IMAGE" --file Dockerfile "$context" --output none

# 4. Backend key ----------------------------------------------------------------------------------------
# API Management authenticates to the instances with this key. Keep the one already in Key Vault (reading it
# needs "Key Vault Secrets User" or "Key Vault Secrets Officer" for the deploying user); otherwise generate
# one. A new key is harmless: the same deployment updates the vault, APIM's named value and the apps.
if [[ -z "${WRAPPER_BACKEND_API_KEY:-}" ]]; then
  vault=$(az keyvault list --resource-group "$AZURE_RESOURCE_GROUP" --query "[?starts_with(name, 'kv-')].name | [0]" --output tsv)
  if [[ -n "$vault" ]]; then
    WRAPPER_BACKEND_API_KEY=$(az keyvault secret show --vault-name "$vault" --name backend-api-key --query value --output tsv 2> /dev/null || true)
  fi
fi
if [[ -z "${WRAPPER_BACKEND_API_KEY:-}" ]]; then
  log "Generating the APIM-to-backend key"
  WRAPPER_BACKEND_API_KEY=$(openssl rand -hex 32)
fi
export WRAPPER_BACKEND_API_KEY

# 5. Infrastructure -------------------------------------------------------------------------------------
deployment="wrapper-$(date -u +%Y%m%d%H%M%S)"
log "Deploying main.bicep as $deployment (API Management takes minutes on the v2 tiers, 30-45 on the classic ones)"
az deployment group create --name "$deployment" --resource-group "$AZURE_RESOURCE_GROUP" \
  --parameters "$repo_root/deploy/bicep/main.bicepparam" --output none

# 6. Outputs and smoke test -----------------------------------------------------------------------------
output() {
  az deployment group show --name "$deployment" --resource-group "$AZURE_RESOURCE_GROUP" \
    --query "properties.outputs.$1.value" --output tsv
}
api_url=$(output apiUrl)
apim_name=$(output apimName)
log "Outputs"
az deployment group show --name "$deployment" --resource-group "$AZURE_RESOURCE_GROUP" \
  --query "properties.outputs | {apiUrl: apiUrl.value, monitorUrl: monitorUrl.value, apim: apimName.value, apps: containerAppNames.value, keyVault: keyVaultName.value}" \
  --output json

subscription_path="$resource_group_id/providers/Microsoft.ApiManagement/service/$apim_name/subscriptions/$(output clientSubscriptionName)"
cat >&2 << EOF_HINT

Client key (send it in the api-key header):
  az rest --method post --url '$subscription_path/listSecrets?api-version=2024-05-01' --query primaryKey --output tsv
EOF_HINT

if [[ "${SMOKE_TEST:-true}" == "true" ]]; then
  log "Smoke test through API Management"
  client_key=$(az rest --method post --url "$subscription_path/listSecrets?api-version=2024-05-01" --query primaryKey --output tsv)
  # New revisions need a moment to pass their startup and readiness probes.
  for attempt in $(seq 1 30); do
    if curl --fail --silent --show-error --max-time 10 --header "api-key: $client_key" "$api_url/health/live" > /dev/null; then
      echo "GET $api_url/health/live: OK (attempt $attempt)" >&2
      curl --silent --show-error --max-time 60 --header "api-key: $client_key" --include "$api_url/health" >&2 || true
      exit 0
    fi
    sleep 10
  done
  echo "GET $api_url/health/live did not succeed within 5 minutes; see deploy/README.md, Troubleshooting" >&2
  exit 1
fi
