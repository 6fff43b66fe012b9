// Parameters of main.bicep, read from the environment so that no value (and no secret) is written here.
// deploy/scripts/deploy.sh exports them; to deploy by hand, export the same variables and run
//   az deployment group create --resource-group "$AZURE_RESOURCE_GROUP" --parameters deploy/bicep/main.bicepparam
using 'main.bicep'

param namePrefix = readEnvironmentVariable('WRAPPER_NAME_PREFIX', 'wrapper')

// Container image, built into the registry by deploy.sh (az acr build).
param registryName = readEnvironmentVariable('AZURE_CONTAINER_REGISTRY')
param imageName = readEnvironmentVariable('WRAPPER_IMAGE')

// Azure OpenAI. Leave OPENAI_API_KEY unset to use the apps' managed identity (then give
// OPENAI_ACCOUNT_RESOURCE_ID so that the identity gets "Cognitive Services OpenAI User").
param openAiEndpoint = readEnvironmentVariable('OPENAI_ENDPOINT', '')
param openAiApiKey = readEnvironmentVariable('OPENAI_API_KEY', '')
param openAiApiVersion = readEnvironmentVariable('OPENAI_API_VERSION', 'v1')
param openAiDeploymentName = readEnvironmentVariable('OPENAI_MODEL_DEPLOYMENT_NAME', '')
param openAiPrompt = readEnvironmentVariable('OPENAI_PROMPT', 'You are a helpful assistant.')
param openAiAccountResourceId = readEnvironmentVariable('OPENAI_ACCOUNT_RESOURCE_ID', '')

// Azure AI Foundry Agent Service (POST /bing-grounding); the identity gets "Azure AI User".
param aiProjectEndpoint = readEnvironmentVariable('AZURE_AI_PROJECT_ENDPOINT', '')
param aiAgentId = readEnvironmentVariable('AZURE_AI_AGENT_ID', '')
// The same agent as a new (Responses protocol) agent, by name and optional version (docs/agents.md).
param aiAgentName = readEnvironmentVariable('AZURE_AI_AGENT_NAME', '')
param aiAgentVersion = readEnvironmentVariable('AZURE_AI_AGENT_VERSION', '')
// More agents, as JSON: {"team-search":{"agentName":"team-search","agentVersion":"3"},"plain":{"agentId":"asst_…"}}.
param agents = json(readEnvironmentVariable('WRAPPER_AGENTS', '{}'))
// OpenAI-compatible model names, as JSON: {"gpt-4.1":"gpt-41-prod","team-chat":"gpt-4o-mini"}.
param openAiCompatibleModels = json(readEnvironmentVariable('OPENAI_COMPATIBLE_MODELS', '{}'))
param allowSimulator = toLower(readEnvironmentVariable('WRAPPER_ALLOW_SIMULATOR', 'false')) == 'true'
param aiAccountResourceId = readEnvironmentVariable('AZURE_AI_ACCOUNT_RESOURCE_ID', '')
param aiProjectName = readEnvironmentVariable('AZURE_AI_PROJECT_NAME', '')

// Key with which API Management authenticates to the instances (deploy.sh reuses or generates it).
param backendApiKey = readEnvironmentVariable('WRAPPER_BACKEND_API_KEY')

// API Management.
param apimSku = readEnvironmentVariable('APIM_SKU', 'BasicV2')
param apimPublisherEmail = readEnvironmentVariable('APIM_PUBLISHER_EMAIL')
param apimPublisherName = readEnvironmentVariable('APIM_PUBLISHER_NAME', 'Wrapper platform team')
param apimPolicy = readEnvironmentVariable('APIM_POLICY', 'native-pool')
param apiPath = readEnvironmentVariable('APIM_API_PATH', 'wrapper')
param deployHealthMonitor = bool(readEnvironmentVariable('APIM_HEALTH_MONITOR', 'true'))
param restrictIngressToApim = bool(readEnvironmentVariable('RESTRICT_INGRESS_TO_APIM', 'true'))

// Scaling of each instance.
param maxReplicasPerInstance = int(readEnvironmentVariable('MAX_REPLICAS_PER_INSTANCE', '3'))
param httpConcurrency = int(readEnvironmentVariable('HTTP_CONCURRENCY', '20'))

// Azure Managed Redis for per-client quotas shared by every instance (empty: none).
param redisSku = readEnvironmentVariable('REDIS_SKU', 'Balanced_B0')

param enableKeyVaultPurgeProtection = bool(readEnvironmentVariable('KEYVAULT_PURGE_PROTECTION', 'true'))
