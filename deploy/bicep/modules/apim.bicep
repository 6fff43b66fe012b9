// The API Management service (system-assigned identity, for Key Vault named values) and its Application
// Insights logger. The API, backends and policies are in apim-api.bicep, deployed once the Container Apps
// exist; keeping the service separate lets the apps' ingress be restricted to the service's addresses.

@description('Azure region of the service.')
param location string

@description('Globally unique service name (becomes <name>.azure-api.net).')
param name string

@description('Tags applied to every resource.')
param tags object

@description('Pricing tier. Consumption is not offered: it has no built-in cache, which the hand-written policies need.')
@allowed([
  'Developer'
  'Basic'
  'Standard'
  'Premium'
  'BasicV2'
  'StandardV2'
  'PremiumV2'
])
param sku string

@description('Scale units of the tier.')
@minValue(1)
param skuCapacity int = 1

@description('E-mail address of the API publisher (receives system notifications).')
param publisherEmail string

@description('Name of the publishing organisation.')
param publisherName string

@description('Name of the Application Insights component that receives the gateway telemetry.')
param appInsightsName string

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource service 'Microsoft.ApiManagement/service@2024-10-01-preview' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
    capacity: skuCapacity
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    publisherEmail: publisherEmail
    publisherName: publisherName
  }
}

resource logger 'Microsoft.ApiManagement/service/loggers@2024-10-01-preview' = {
  parent: service
  name: 'appinsights'
  properties: {
    loggerType: 'applicationInsights'
    description: 'Gateway telemetry'
    resourceId: appInsights.id
    credentials: {
      connectionString: appInsights.properties.ConnectionString
    }
    isBuffered: true
  }
}

@description('Resource name of the service.')
output name string = service.name

@description('Principal ID of the service\'s system-assigned identity (reads Key Vault named values).')
output principalId string = service.identity.principalId

@description('Gateway base URL, e.g. https://<name>.azure-api.net.')
output gatewayUrl string = service.properties.gatewayUrl

@description('Public outbound IP addresses of the classic tiers; empty for the v2 tiers, which have none that are fixed.')
output publicIpAddresses string[] = service.properties.?publicIPAddresses ?? []

