// The Wrapper API on API Management: one backend entity per Container App, the backend pool, the named
// values the policies use, the probe fragment, the API with an operation per route, the routing policy
// chosen by policyMode (deploy/apim/README.md explains the choice), gateway telemetry, the optional health
// monitor API, and one subscription per API.

@description('Name of the existing API Management service.')
param apimName string

@description('Path of the API on the gateway: https://<service>.azure-api.net/<apiPath>/completion …')
param apiPath string

@description('Public FQDNs of the Container Apps, by instance index.')
param backendFqdns string[]

@description('Versionless Key Vault URI of the key that API Management presents to the backends.')
param backendKeySecretUri string

@description('Routing policy: native-pool (APIM backend pool + circuit breaker rules), circuit-breaker (apim-policy.xml) or circuit-breaker-healthcheck (apim-policy-with-healthcheck.xml).')
@allowed([
  'native-pool'
  'circuit-breaker'
  'circuit-breaker-healthcheck'
])
param policyMode string

@description('Create the health monitor API (GET <apiPath>-monitor/backends).')
param deployHealthMonitor bool

var usesNativePool = policyMode == 'native-pool'

var apiPolicies = {
  'native-pool': loadTextContent('../../apim/apim-policy-native-pool.xml')
  'circuit-breaker': loadTextContent('../../apim/apim-policy.xml')
  'circuit-breaker-healthcheck': loadTextContent('../../apim/apim-policy-with-healthcheck.xml')
}

// The question's fields an agent route also reads from the query string (each overrides the body's field).
var agentQueryParameters = [
  {
    name: 'query'
    type: 'string'
    required: false
    description: 'The question (or "query" in the JSON body).'
  }
  {
    name: 'thread_id'
    type: 'string'
    required: false
    description: 'Continue a kept thread of a classic agent.'
  }
  {
    name: 'conversation_id'
    type: 'string'
    required: false
    description: 'Continue a kept conversation of a new agent.'
  }
  {
    name: 'keep_thread'
    type: 'boolean'
    required: false
    description: 'Keep the thread or conversation after answering.'
  }
  {
    name: 'stream'
    type: 'boolean'
    required: false
    description: 'Answer server-sent events (text deltas, then the citations).'
  }
]

// One operation per route of the service. MCP (streamable HTTP) uses POST for messages, GET for the
// server-to-client stream and DELETE to end a session.
var operations = [
  {
    name: 'get-health'
    displayName: 'Health (original semantics: checks Azure OpenAI)'
    method: 'GET'
    urlTemplate: '/health'
    templateParameters: []
    queryParameters: []
  }
  {
    name: 'get-health-live'
    displayName: 'Liveness (process only)'
    method: 'GET'
    urlTemplate: '/health/live'
    templateParameters: []
    queryParameters: []
  }
  {
    name: 'get-health-ready'
    displayName: 'Readiness (upstreams)'
    method: 'GET'
    urlTemplate: '/health/ready'
    templateParameters: []
    queryParameters: []
  }
  {
    name: 'get-completion'
    displayName: 'Completion'
    method: 'GET'
    urlTemplate: '/completion'
    templateParameters: []
    queryParameters: [
      {
        name: 'query'
        type: 'string'
        required: false
        description: 'The user prompt.'
      }
    ]
  }
  {
    name: 'post-chat'
    displayName: 'Chat'
    method: 'POST'
    urlTemplate: '/chat'
    templateParameters: []
    queryParameters: []
  }
  {
    name: 'post-bing-grounding'
    displayName: 'Bing grounding'
    method: 'POST'
    urlTemplate: '/bing-grounding'
    templateParameters: []
    queryParameters: agentQueryParameters
  }
  {
    name: 'post-agent'
    displayName: 'Agent by name'
    method: 'POST'
    urlTemplate: '/agents/{name}'
    templateParameters: [
      {
        name: 'name'
        type: 'string'
        required: true
        description: 'The agent\'s name (Agents__<name>__… in the instances\' configuration).'
      }
    ]
    queryParameters: agentQueryParameters
  }
  // The OpenAI-compatible face (docs/openai-compatible.md): OpenAI v1 clients use <gateway>/<apiPath>/openai/v1 as
  // their base URL, Azure OpenAI clients <gateway>/<apiPath> as their endpoint. Streams pass unbuffered
  // (buffer-response="false" in every policy's forward-request).
  {
    name: 'post-openai-v1-chat-completions'
    displayName: 'OpenAI v1: chat completions'
    method: 'POST'
    urlTemplate: '/openai/v1/chat/completions'
    templateParameters: []
    queryParameters: []
  }
  {
    name: 'post-openai-deployment-chat-completions'
    displayName: 'Azure OpenAI: chat completions of a deployment'
    method: 'POST'
    urlTemplate: '/openai/deployments/{deployment}/chat/completions'
    templateParameters: [
      {
        name: 'deployment'
        type: 'string'
        required: true
        description: 'The public model name (OpenAICompatible__Models__<name>) or deployment.'
      }
    ]
    queryParameters: [
      {
        name: 'api-version'
        type: 'string'
        required: false
        description: 'A dated Azure OpenAI API version, e.g. 2024-10-21 (needed: the service answers 404 without one, as Azure does).'
      }
    ]
  }
  {
    name: 'get-openai-v1-models'
    displayName: 'OpenAI v1: models'
    method: 'GET'
    urlTemplate: '/openai/v1/models'
    templateParameters: []
    queryParameters: []
  }
  {
    name: 'get-openai-v1-model'
    displayName: 'OpenAI v1: model'
    method: 'GET'
    urlTemplate: '/openai/v1/models/{model}'
    templateParameters: [
      {
        name: 'model'
        type: 'string'
        required: true
        description: 'A public model name.'
      }
    ]
    queryParameters: []
  }
  {
    name: 'get-openai-models'
    displayName: 'Azure OpenAI: models'
    method: 'GET'
    urlTemplate: '/openai/models'
    templateParameters: []
    queryParameters: [
      {
        name: 'api-version'
        type: 'string'
        required: false
        description: 'The Azure OpenAI API version the client sends (not needed by the service).'
      }
    ]
  }
  {
    name: 'post-mcp'
    displayName: 'MCP messages'
    method: 'POST'
    urlTemplate: '/mcp'
    templateParameters: []
    queryParameters: []
  }
  {
    name: 'get-mcp'
    displayName: 'MCP server stream'
    method: 'GET'
    urlTemplate: '/mcp'
    templateParameters: []
    queryParameters: []
  }
  {
    name: 'delete-mcp'
    displayName: 'MCP end session'
    method: 'DELETE'
    urlTemplate: '/mcp'
    templateParameters: []
    queryParameters: []
  }
]

resource service 'Microsoft.ApiManagement/service@2024-10-01-preview' existing = {
  name: apimName
}

// Created by apim.bicep.
resource logger 'Microsoft.ApiManagement/service/loggers@2024-10-01-preview' existing = {
  parent: service
  name: 'appinsights'
}

// Secret named value backed by Key Vault (read with the service's identity, refreshed every four hours).
resource backendKey 'Microsoft.ApiManagement/service/namedValues@2024-10-01-preview' = {
  parent: service
  name: 'wrapper-backend-api-key'
  properties: {
    displayName: 'wrapper-backend-api-key'
    secret: true
    keyVault: {
      secretIdentifier: backendKeySecretUri
    }
  }
}

// Base URLs for the readiness probes of the fragment (send-request needs absolute URLs).
resource backendUrls 'Microsoft.ApiManagement/service/namedValues@2024-10-01-preview' = [
  for (fqdn, index) in backendFqdns: {
    parent: service
    name: 'wrapper-backend-url-${index}'
    properties: {
      displayName: 'wrapper-backend-url-${index}'
      value: 'https://${fqdn}'
      secret: false
    }
  }
]

resource backends 'Microsoft.ApiManagement/service/backends@2024-10-01-preview' = [
  for (fqdn, index) in backendFqdns: {
    parent: service
    name: 'wrapper-backend-${index}'
    properties: {
      title: 'Wrapper instance ${index}'
      description: 'Container App ca-…-${index}'
      protocol: 'http'
      url: 'https://${fqdn}'
      tls: {
        validateCertificateChain: true
        validateCertificateName: true
      }
      // The backend key, and in native mode the slot (X-Backend-Instance: <index>, logged by the instance): the
      // pool picks the member after the policy's inbound section, so only the member itself can name it. The
      // hand-written policies set the header themselves on every try.
      credentials: {
        header: union(
          {
            'api-key': [
              '{{${backendKey.name}}}'
            ]
          },
          usesNativePool
            ? {
                'X-Backend-Instance': [
                  '${index}'
                ]
              }
            : {}
        )
      }
      // Native mode: the pool skips a tripped member. A 5xx (or a connection failure) trips it for 30 s, or for
      // as long as its Retry-After says. Not a 429: a rule's failureCondition has only count, percentage,
      // interval, statusCodeRanges and errorReasons (no header test), so it could not tell the service's refusal
      // of one caller (429 + X-Wrapper-Refusal: client) from a sick instance, and one caller over its limit would
      // trip every member in turn. The hand-written policies keep their own circuit state in the cache instead,
      // so their backends have no rule (two breakers would disagree).
      circuitBreaker: usesNativePool
        ? {
            rules: [
              {
                name: 'trip-on-server-error'
                failureCondition: {
                  count: 1
                  interval: 'PT10S'
                  statusCodeRanges: [
                    {
                      min: 500
                      max: 599
                    }
                  ]
                  errorReasons: [
                    'Server errors'
                  ]
                }
                tripDuration: 'PT30S'
                acceptRetryAfter: true
              }
            ]
          }
        : null
    }
  }
]

resource pool 'Microsoft.ApiManagement/service/backends@2024-10-01-preview' = {
  parent: service
  name: 'wrapper-pool'
  properties: {
    description: 'All Wrapper instances, round robin, cookie session affinity'
    type: 'Pool'
    pool: {
      services: [
        for index in range(0, length(backendFqdns)): {
          id: backends[index].id
          priority: 1
          weight: 1
        }
      ]
      sessionAffinity: {
        sessionId: {
          source: 'Cookie'
          name: 'APIM-Backend-Session'
        }
      }
    }
  }
}

resource probeFragment 'Microsoft.ApiManagement/service/policyFragments@2024-10-01-preview' = {
  parent: service
  name: 'wrapper-probe-backends'
  properties: {
    description: 'Probes GET /health/ready on every Wrapper backend and caches the readiness snapshot.'
    format: 'xml'
    value: loadTextContent('../../apim/fragments/wrapper-probe-backends.xml')
  }
  dependsOn: [
    backendUrls
    backendKey
  ]
}

resource api 'Microsoft.ApiManagement/service/apis@2024-10-01-preview' = {
  parent: service
  name: 'wrapper'
  properties: {
    displayName: 'Wrapper'
    description: 'REST and MCP face of Azure OpenAI and the Azure AI Agent Service, load balanced over the Wrapper instances.'
    path: apiPath
    protocols: [
      'https'
    ]
    type: 'http'
    apiType: 'http'
    subscriptionRequired: true
    // Clients keep sending their key in api-key (or ?api-key=), as they do to the service itself.
    subscriptionKeyParameterNames: {
      header: 'api-key'
      query: 'api-key'
    }
  }
}

resource apiOperations 'Microsoft.ApiManagement/service/apis/operations@2024-10-01-preview' = [
  for operation in operations: {
    parent: api
    name: operation.name
    properties: {
      displayName: operation.displayName
      method: operation.method
      urlTemplate: operation.urlTemplate
      templateParameters: operation.templateParameters
      request: {
        queryParameters: operation.queryParameters
      }
      responses: []
    }
  }
]

resource apiPolicy 'Microsoft.ApiManagement/service/apis/policies@2024-10-01-preview' = {
  parent: api
  name: 'policy'
  properties: {
    format: 'xml'
    value: apiPolicies[policyMode]
  }
  dependsOn: [
    backends
    pool
    probeFragment
  ]
}

// Gateway telemetry without bodies: prompts and answers stay out of the logs.
resource apiDiagnostics 'Microsoft.ApiManagement/service/apis/diagnostics@2024-10-01-preview' = {
  parent: api
  name: 'applicationinsights'
  properties: {
    loggerId: logger.id
    alwaysLog: 'allErrors'
    httpCorrelationProtocol: 'W3C'
    verbosity: 'information'
    logClientIp: false
    sampling: {
      samplingType: 'fixed'
      percentage: 100
    }
    frontend: {
      request: {
        body: {
          bytes: 0
        }
      }
      response: {
        body: {
          bytes: 0
        }
      }
    }
    backend: {
      request: {
        body: {
          bytes: 0
        }
      }
      response: {
        body: {
          bytes: 0
        }
      }
    }
  }
}

resource monitorApi 'Microsoft.ApiManagement/service/apis@2024-10-01-preview' = if (deployHealthMonitor) {
  parent: service
  name: 'wrapper-health-monitor'
  properties: {
    displayName: 'Wrapper health monitor'
    description: 'Probes every Wrapper backend, refreshes the readiness snapshot and reports readiness and circuit state.'
    path: '${apiPath}-monitor'
    protocols: [
      'https'
    ]
    type: 'http'
    apiType: 'http'
    subscriptionRequired: true
    subscriptionKeyParameterNames: {
      header: 'api-key'
      query: 'api-key'
    }
  }
}

resource monitorOperation 'Microsoft.ApiManagement/service/apis/operations@2024-10-01-preview' = if (deployHealthMonitor) {
  parent: monitorApi
  name: 'get-backends'
  properties: {
    displayName: 'Backend health'
    method: 'GET'
    urlTemplate: '/backends'
    responses: []
  }
}

resource monitorPolicy 'Microsoft.ApiManagement/service/apis/operations/policies@2024-10-01-preview' = if (deployHealthMonitor) {
  parent: monitorOperation
  name: 'policy'
  properties: {
    format: 'xml'
    value: loadTextContent('../../apim/apim-healthcheck-monitor.xml')
  }
  dependsOn: [
    probeFragment
  ]
}

resource clientSubscription 'Microsoft.ApiManagement/service/subscriptions@2024-10-01-preview' = {
  parent: service
  name: 'wrapper-clients'
  properties: {
    displayName: 'Wrapper clients'
    scope: '/apis/${api.name}'
    state: 'active'
    allowTracing: false
  }
}

resource monitorSubscription 'Microsoft.ApiManagement/service/subscriptions@2024-10-01-preview' = if (deployHealthMonitor) {
  parent: service
  name: 'wrapper-monitor'
  properties: {
    displayName: 'Wrapper health monitor'
    scope: '/apis/${monitorApi.name}'
    state: 'active'
    allowTracing: false
  }
}

@description('Base URL of the Wrapper API on the gateway.')
output apiUrl string = '${service.properties.gatewayUrl}/${apiPath}'

@description('Name of the subscription whose key clients use (read it with listSecrets; it is not an output).')
output clientSubscriptionName string = clientSubscription.name

@description('URL of the health monitor operation, or empty when it is not deployed.')
output monitorUrl string = deployHealthMonitor ? '${service.properties.gatewayUrl}/${apiPath}-monitor/backends' : ''
