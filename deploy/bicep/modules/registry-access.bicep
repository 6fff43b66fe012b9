// Lets the apps' identity pull images from the existing Azure Container Registry (AcrPull). The registry
// itself is created and filled by deploy/scripts/deploy.sh (az acr create / az acr build) before this
// template runs, because the Container Apps need the image to exist when they are created.

@description('Name of the existing container registry in this resource group.')
param registryName string

@description('Principal ID of the identity that pulls images.')
param principalId string

@description('Resource ID of that identity (names the role assignment deterministically).')
param identityResourceId string

var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identityResourceId, acrPullRoleId)
  scope: registry
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
  }
}

@description('Login server of the registry (e.g. myregistry.azurecr.io).')
output loginServer string = registry.properties.loginServer
