// The Container Apps environment and the service's instances: one Container App per instance, each with its
// own FQDN, so that API Management can address (and pin a session to) every instance. See
// deploy/README.md, "Five apps, not one app with five replicas".

@description('Azure region of the resources.')
param location string

@description('Prefix of the resource names.')
param namePrefix string

@description('Tags applied to every resource.')
param tags object

@description('Name of the Log Analytics workspace that receives the container logs.')
param workspaceName string

@description('Name of the Application Insights component whose connection string the apps receive.')
param appInsightsName string

@description('Number of instances (Container Apps). The hand-written APIM policies address exactly five.')
@minValue(1)
@maxValue(10)
param instanceCount int

@description('Full image reference, e.g. myregistry.azurecr.io/wrapper-api:20250101.1.')
param image string

@description('Login server of the registry holding the image.')
param registryServer string

@description('Resource ID of the user-assigned identity of the apps.')
param identityId string

@description('Client ID of the user-assigned identity (AZURE_CLIENT_ID).')
param identityClientId string

@description('Azure OpenAI endpoint; empty runs the embedded simulator (smoke tests only).')
param openAiEndpoint string

@description('Azure OpenAI API version.')
param openAiApiVersion string

@description('Azure OpenAI deployment name.')
param openAiDeploymentName string

@description('System prompt of the completion and chat routes.')
param openAiPrompt string

@description('Versionless Key Vault URI of the Azure OpenAI key; empty to authenticate with the managed identity.')
param openAiKeySecretUri string

@description('Versionless Key Vault URI of the key API Management presents to the backends.')
param backendKeySecretUri string

@description('Azure AI Foundry project endpoint of the Agent Service (bing-grounding route).')
param aiProjectEndpoint string

@description('Agent ID of the Bing grounding agent as a classic agent (AZURE_AI_AGENT_ID).')
param aiAgentId string

@description('Name of the Bing grounding agent as a new agent (AZURE_AI_AGENT_NAME); empty: none.')
param aiAgentName string = ''

@description('Version of that new agent (AZURE_AI_AGENT_VERSION); empty: its latest.')
param aiAgentVersion string = ''

@description('More agents for POST /agents/{name}, by name: Agents__<name>__AgentId / AgentName / AgentVersion / Protocol.')
param agents agentMap = {}

@description('OpenAI-compatible public model names and their deployments: OpenAICompatible__Models__<name>=<deployment>.')
param openAiCompatibleModels object = {}

@description('Simulate a missing endpoint (WRAPPER_ALLOW_SIMULATOR=true): smoke deployments only.')
param allowSimulator bool

@description('CIDR ranges allowed to call the apps (API Management\'s outbound addresses); empty allows any caller.')
param allowedIpRanges string[]

@description('Upper bound of replicas of each instance.')
@minValue(1)
@maxValue(30)
param maxReplicas int

@description('Concurrent HTTP requests per replica above which an instance scales out.')
@minValue(1)
param httpConcurrency int

@description('StackExchange.Redis configuration string of the shared quota store; empty: none (each instance counts alone).')
param redisConnectionString string = ''

@description('Redis user of the apps\' identity (its principal ID): Entra ID sign-in, no password.')
param redisUser string = ''

// One agent of POST /agents/{name} (docs/agents.md, "Two protocols"): a classic agent by id, or a new one by name
// and optional version; protocol unset lets the service choose (classic when only agentId is given).
@export()
type agentEntry = {
  @description('Classic agent id (asst_…): Agents__<name>__AgentId.')
  agentId: string?
  @description('New agent name (default: the entry\'s name): Agents__<name>__AgentName.')
  agentName: string?
  @description('New agent version (default: its latest): Agents__<name>__AgentVersion.')
  agentVersion: string?
  @description('classic or responses: Agents__<name>__Protocol.')
  protocol: ('classic' | 'responses')?
}

@export()
type agentMap = {
  *: agentEntry
}

var port = 8000

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: 'cae-${namePrefix}'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
    zoneRedundant: false
  }
}

// Settings shared by every instance; empty values are left out so that the service sees them as unset.
var settings = {
  ASPNETCORE_ENVIRONMENT: 'Production'
  AZURE_AI_AGENT_ID: aiAgentId
  AZURE_AI_AGENT_NAME: aiAgentName
  AZURE_AI_AGENT_VERSION: aiAgentVersion
  AZURE_AI_PROJECT_ENDPOINT: aiProjectEndpoint
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  OPENAI_API_VERSION: openAiApiVersion
  OPENAI_ENDPOINT: openAiEndpoint
  OPENAI_MODEL_DEPLOYMENT_NAME: openAiDeploymentName
  OPENAI_PROMPT: openAiPrompt
  WRAPPER_ALLOW_SIMULATOR: allowSimulator ? 'true' : ''
  Redis__ConnectionString: redisConnectionString
  Redis__UseEntraId: empty(redisConnectionString) ? '' : 'true'
  Redis__EntraIdUser: redisUser
}
// Agents and OpenAI-compatible model names, by name: configuration keys with the entry's name in them (names may hold
// '-' or '.', which Container Apps accepts in an environment variable's name).
var agentSettings = flatten(map(items(agents), agent => [
  { name: 'Agents__${agent.key}__AgentId', value: agent.value.?agentId ?? '' }
  { name: 'Agents__${agent.key}__AgentName', value: agent.value.?agentName ?? '' }
  { name: 'Agents__${agent.key}__AgentVersion', value: agent.value.?agentVersion ?? '' }
  { name: 'Agents__${agent.key}__Protocol', value: agent.value.?protocol ?? '' }
]))
var modelSettings = map(items(openAiCompatibleModels), model => { name: 'OpenAICompatible__Models__${model.key}', value: string(model.value) })
var plainEnv = filter(
  concat(map(items(settings), setting => { name: setting.key, value: setting.value }), agentSettings, modelSettings),
  entry => !empty(entry.value)
)

// Secrets are Key Vault references resolved by the platform with the apps' identity; the values never
// appear in the template, the deployment history or the app's configuration.
var openAiKeySecret = empty(openAiKeySecretUri)
  ? []
  : [
      {
        name: 'openai-api-key'
        keyVaultUrl: openAiKeySecretUri
        identity: identityId
      }
    ]
var secrets = concat(openAiKeySecret, [
  {
    name: 'backend-api-key'
    keyVaultUrl: backendKeySecretUri
    identity: identityId
  }
])
// The key APIM presents is configured as a gateway's (Auth:ApiKeys:0:Gateway): only on requests with it does the
// service believe X-APIM-Subscription-Id / X-APIM-Product-Id, set by the policies, and rate limit per subscriber.
var secretEnv = concat(empty(openAiKeySecretUri) ? [] : [{ name: 'OPENAI_API_KEY', secretRef: 'openai-api-key' }], [
  { name: 'Auth__ApiKeys__0__Name', value: 'apim' }
  { name: 'Auth__ApiKeys__0__Key', secretRef: 'backend-api-key' }
  { name: 'Auth__ApiKeys__0__Gateway', value: 'true' }
])

resource apps 'Microsoft.App/containerApps@2024-03-01' = [
  for index in range(0, instanceCount): {
    name: 'ca-${namePrefix}-${index}'
    location: location
    tags: union(tags, { 'wrapper-instance': string(index) })
    identity: {
      type: 'UserAssigned'
      userAssignedIdentities: {
        '${identityId}': {}
      }
    }
    properties: {
      environmentId: environment.id
      workloadProfileName: 'Consumption'
      configuration: {
        activeRevisionsMode: 'Single'
        ingress: {
          external: true
          targetPort: port
          transport: 'auto'
          allowInsecure: false
          ipSecurityRestrictions: [
            for (range, rangeIndex) in allowedIpRanges: {
              name: 'allow-apim-${rangeIndex}'
              description: 'API Management outbound address'
              action: 'Allow'
              ipAddressRange: range
            }
          ]
        }
        registries: [
          {
            server: registryServer
            identity: identityId
          }
        ]
        secrets: secrets
      }
      template: {
        containers: [
          {
            name: 'api'
            image: image
            resources: {
              cpu: json('0.5')
              memory: '1Gi'
            }
            env: concat(plainEnv, secretEnv, [
              // Names the instance in the X-Instance-Id response header; ends with the APIM backend index.
              { name: 'INSTANCE_ID', value: '${namePrefix}-${index}' }
            ])
            probes: [
              {
                // Give the process up to 30 s to start before liveness counts.
                type: 'Startup'
                httpGet: {
                  path: '/health/live'
                  port: port
                  scheme: 'HTTP'
                }
                initialDelaySeconds: 1
                periodSeconds: 3
                timeoutSeconds: 2
                failureThreshold: 10
              }
              {
                // Process only: a restart cannot fix an upstream, so upstreams are not part of liveness.
                type: 'Liveness'
                httpGet: {
                  path: '/health/live'
                  port: port
                  scheme: 'HTTP'
                }
                periodSeconds: 10
                timeoutSeconds: 2
                failureThreshold: 3
              }
              {
                // Upstreams: an unready replica is taken out of the app's ingress rotation until it recovers.
                type: 'Readiness'
                httpGet: {
                  path: '/health/ready'
                  port: port
                  scheme: 'HTTP'
                }
                periodSeconds: 10
                timeoutSeconds: 5
                failureThreshold: 3
                successThreshold: 1
              }
            ]
          }
        ]
        scale: {
          minReplicas: 1
          maxReplicas: maxReplicas
          rules: [
            {
              name: 'http-concurrency'
              http: {
                metadata: {
                  concurrentRequests: string(httpConcurrency)
                }
              }
            }
          ]
        }
      }
    }
  }
]

@description('Resource name of the Container Apps environment.')
output environmentName string = environment.name

@description('Names of the Container Apps, by instance index.')
output appNames string[] = [for index in range(0, instanceCount): apps[index].name]

@description('Public FQDNs of the Container Apps, by instance index (the APIM backends).')
output fqdns string[] = [for index in range(0, instanceCount): apps[index].properties.configuration.ingress.fqdn]
