// Wrapper on Azure: five Container Apps behind Azure API Management.
//
//   monitoring       Log Analytics workspace + Application Insights
//   identity         user-assigned managed identity of the apps
//   registry-access  AcrPull on the existing registry (created and filled by deploy/scripts/deploy.sh)
//   apim             API Management service (system-assigned identity) + Application Insights logger
//   keyvault         Key Vault with the OpenAI key (optional) and the APIM-to-backend key; readers: apps, APIM
//   cognitive-role   Cognitive Services OpenAI User on the OpenAI account, Azure AI User on the AI project
//   container-apps   Container Apps environment + one app per instance, probes, Key Vault secrets, HTTP scaling
//   apim-api         backends, pool, circuit breakers, named values, API + operations, routing policy, monitor
//
// deploy/README.md walks through a deployment; main.bicepparam reads its values from the environment.

targetScope = 'resourceGroup'

import { agentMap } from 'modules/container-apps.bicep'

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Short prefix of the resource names: lowercase letters, digits and hyphens.')
@minLength(3)
@maxLength(16)
param namePrefix string = 'wrapper'

@description('Name of the existing Azure Container Registry (same resource group) that holds the image.')
param registryName string

@description('Image repository and tag in the registry, e.g. wrapper-api:20250101.1.')
param imageName string

@description('Azure OpenAI endpoint, e.g. https://my-openai.openai.azure.com/. Empty runs the embedded simulator (a smoke test of the platform, no Azure OpenAI needed).')
param openAiEndpoint string = ''

@description('Azure OpenAI API key. Empty (recommended) authenticates with the apps\' managed identity instead.')
@secure()
param openAiApiKey string = ''

@description('Azure OpenAI data-plane API version: v1 (the GA v1 API, no api-version; Microsoft\'s recommendation for new code) or a dated version such as 2024-10-21.')
param openAiApiVersion string = 'v1'

@description('Azure OpenAI deployment (model) name.')
param openAiDeploymentName string = ''

@description('System prompt of the completion and chat routes.')
param openAiPrompt string = 'You are a helpful assistant.'

@description('Resource ID of the Azure OpenAI / AI Services account; when given, the apps\' identity gets Cognitive Services OpenAI User on it.')
param openAiAccountResourceId string = ''

@description('Azure AI Foundry project endpoint for the Agent Service (POST /bing-grounding).')
param aiProjectEndpoint string = ''

@description('ID of the Bing grounding agent as a classic agent (asst_…; AZURE_AI_AGENT_ID).')
param aiAgentId string = ''

@description('Name of the Bing grounding agent as a new agent (Responses protocol; AZURE_AI_AGENT_NAME). Empty: none.')
param aiAgentName string = ''

@description('Version of that new agent (AZURE_AI_AGENT_VERSION). Empty: its latest version.')
param aiAgentVersion string = ''

@description('More agents for POST /agents/{name}, by name (docs/agents.md): each becomes Agents__<name>__AgentId / AgentName / AgentVersion / Protocol.')
param agents agentMap = {}

@description('Public model names of the OpenAI-compatible routes and the deployments that serve them (docs/openai-compatible.md): each becomes OpenAICompatible__Models__<name>=<deployment>. Empty: the configured deployment under its own name.')
param openAiCompatibleModels object = {}

@description('Let an instance answer from its embedded simulator where an endpoint (openAiEndpoint, aiProjectEndpoint) is empty: for a smoke deployment only. false (default): an instance with a missing endpoint refuses to start, naming it.')
param allowSimulator bool = false

@description('Resource ID of the AI Services account that holds the Foundry project; when given, the apps\' identity gets Azure AI User on it (or on aiProjectName).')
param aiAccountResourceId string = ''

@description('Foundry project name inside aiAccountResourceId to scope the Azure AI User assignment to; empty for the whole account.')
param aiProjectName string = ''

@description('Key that API Management presents to the backends (stored in Key Vault; deploy.sh reuses the stored one or generates one).')
@secure()
param backendApiKey string

@description('API Management tier (BasicV2 deploys in minutes; Developer/classic tiers take 30-45 minutes).')
@allowed([
  'Developer'
  'Basic'
  'Standard'
  'Premium'
  'BasicV2'
  'StandardV2'
  'PremiumV2'
])
param apimSku string = 'BasicV2'

@description('E-mail address of the API publisher.')
param apimPublisherEmail string

@description('Name of the publishing organisation.')
param apimPublisherName string

@description('Routing policy of the API (see deploy/apim/README.md).')
@allowed([
  'native-pool'
  'circuit-breaker'
  'circuit-breaker-healthcheck'
])
param apimPolicy string = 'native-pool'

@description('Path of the API on the gateway.')
param apiPath string = 'wrapper'

@description('Create the health monitor API.')
param deployHealthMonitor bool = true

@description('Allow only API Management\'s outbound addresses to call the apps (effective on the classic tiers, whose addresses are fixed).')
param restrictIngressToApim bool = true

@description('Upper bound of replicas of each instance.')
@minValue(1)
@maxValue(30)
param maxReplicasPerInstance int = 3

@description('Concurrent HTTP requests per replica above which an instance scales out.')
@minValue(1)
param httpConcurrency int = 20

@description('Azure Managed Redis SKU for the shared per-client quotas and throttling state (Entra ID auth); empty deploys none, and each instance then counts on its own.')
param redisSku string = 'Balanced_B0'

@description('Turn on Key Vault purge protection.')
param enableKeyVaultPurgeProtection bool = true

@description('Tags applied to every resource.')
param tags object = {
  application: 'wrapper'
}

// Five instances, as the original: the hand-written APIM policies and the probe fragment address backends
// 0 … 4, so the number is fixed here rather than a parameter.
var instanceCount = 5
var suffix = uniqueString(resourceGroup().id)
var names = {
  workspace: 'log-${namePrefix}'
  appInsights: 'appi-${namePrefix}'
  identity: 'id-${namePrefix}-apps'
  apim: 'apim-${namePrefix}-${suffix}'
  keyVault: 'kv-${take(namePrefix, 7)}-${suffix}'
  redis: 'redis-${namePrefix}-${suffix}'
}
var identityResourceId = resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', names.identity)
var cognitiveServicesOpenAiUserRoleId = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'
var azureAiUserRoleId = '53ca6127-db72-4b80-b1b0-d745d6d5456d'

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    tags: tags
  }
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    location: location
    name: names.identity
    tags: tags
  }
}

module registryAccess 'modules/registry-access.bicep' = {
  name: 'registry-access'
  params: {
    registryName: registryName
    principalId: identity.outputs.principalId
    identityResourceId: identityResourceId
  }
}

module apim 'modules/apim.bicep' = {
  name: 'apim'
  params: {
    location: location
    name: names.apim
    tags: tags
    sku: apimSku
    publisherEmail: apimPublisherEmail
    publisherName: apimPublisherName
    appInsightsName: names.appInsights
  }
  dependsOn: [
    monitoring
  ]
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    name: names.keyVault
    tags: tags
    openAiApiKey: openAiApiKey
    backendApiKey: backendApiKey
    appsPrincipalId: identity.outputs.principalId
    apimPrincipalId: apim.outputs.principalId
    enablePurgeProtection: enableKeyVaultPurgeProtection
  }
}

module openAiRole 'modules/cognitive-role.bicep' = if (!empty(openAiAccountResourceId)) {
  name: 'openai-role'
  scope: resourceGroup(split(openAiAccountResourceId, '/')[2], split(openAiAccountResourceId, '/')[4])
  params: {
    accountName: last(split(openAiAccountResourceId, '/'))
    principalId: identity.outputs.principalId
    identityResourceId: identityResourceId
    roleDefinitionId: cognitiveServicesOpenAiUserRoleId
  }
}

module aiProjectRole 'modules/cognitive-role.bicep' = if (!empty(aiAccountResourceId)) {
  name: 'ai-project-role'
  scope: resourceGroup(split(aiAccountResourceId, '/')[2], split(aiAccountResourceId, '/')[4])
  params: {
    accountName: last(split(aiAccountResourceId, '/'))
    projectName: aiProjectName
    principalId: identity.outputs.principalId
    identityResourceId: identityResourceId
    roleDefinitionId: azureAiUserRoleId
  }
}

module redis 'modules/redis.bicep' = if (!empty(redisSku)) {
  name: 'redis'
  params: {
    location: location
    name: names.redis
    tags: tags
    skuName: redisSku
    principalId: identity.outputs.principalId
  }
}

module containerApps 'modules/container-apps.bicep' = {
  name: 'container-apps'
  params: {
    location: location
    namePrefix: namePrefix
    tags: tags
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    instanceCount: instanceCount
    image: '${registryAccess.outputs.loginServer}/${imageName}'
    registryServer: registryAccess.outputs.loginServer
    identityId: identityResourceId
    identityClientId: identity.outputs.clientId
    openAiEndpoint: openAiEndpoint
    openAiApiVersion: openAiApiVersion
    openAiDeploymentName: openAiDeploymentName
    openAiPrompt: openAiPrompt
    openAiKeySecretUri: keyVault.outputs.openAiKeySecretUri
    backendKeySecretUri: keyVault.outputs.backendKeySecretUri
    aiProjectEndpoint: aiProjectEndpoint
    allowSimulator: allowSimulator
    aiAgentId: aiAgentId
    aiAgentName: aiAgentName
    aiAgentVersion: aiAgentVersion
    agents: agents
    openAiCompatibleModels: openAiCompatibleModels
    allowedIpRanges: restrictIngressToApim ? map(apim.outputs.publicIpAddresses, address => '${address}/32') : []
    maxReplicas: maxReplicasPerInstance
    httpConcurrency: httpConcurrency
    redisConnectionString: empty(redisSku) ? '' : redis!.outputs.connectionString
    redisUser: empty(redisSku) ? '' : identity.outputs.principalId
  }
  // The roles must exist before the first revision starts, or its first token requests fail.
  dependsOn: [
    monitoring
    openAiRole
    aiProjectRole
  ]
}

module apimApi 'modules/apim-api.bicep' = {
  name: 'apim-api'
  params: {
    apimName: names.apim
    apiPath: apiPath
    backendFqdns: containerApps.outputs.fqdns
    backendKeySecretUri: keyVault.outputs.backendKeySecretUri
    policyMode: apimPolicy
    deployHealthMonitor: deployHealthMonitor
  }
}

@description('Base URL of the Wrapper API on API Management.')
output apiUrl string = apimApi.outputs.apiUrl

@description('URL of the health monitor operation (empty when not deployed).')
output monitorUrl string = apimApi.outputs.monitorUrl

@description('Name of the API Management service.')
output apimName string = apim.outputs.name

@description('Name of the APIM subscription whose key clients send in the api-key header.')
output clientSubscriptionName string = apimApi.outputs.clientSubscriptionName

@description('Names of the Container Apps, by instance index.')
output containerAppNames string[] = containerApps.outputs.appNames

@description('Direct FQDNs of the instances (reachable from API Management only when ingress is restricted).')
output containerAppFqdns string[] = containerApps.outputs.fqdns

@description('Name of the Key Vault.')
output keyVaultName string = keyVault.outputs.name

@description('Client ID of the apps\' managed identity.')
output appsIdentityClientId string = identity.outputs.clientId
