// Key Vault (RBAC authorization) holding the service's secrets: the Azure OpenAI key (when one is used
// instead of managed identity) and the key with which API Management authenticates to the backends.
// Readers get "Key Vault Secrets User" on the vault: the apps' identity and API Management's identity.

@description('Azure region of the vault.')
param location string

@description('Globally unique vault name (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Tags applied to every resource.')
param tags object

@description('Azure OpenAI API key; empty to use managed identity (no secret is stored then).')
@secure()
param openAiApiKey string

@description('Key that API Management sends to the backends in the api-key header.')
@secure()
param backendApiKey string

@description('Principal ID of the apps\' managed identity (reads both secrets as Container Apps secret references).')
param appsPrincipalId string

@description('Principal ID of API Management\'s identity (reads the backend key as a named value).')
param apimPrincipalId string

@description('Turn on purge protection (recommended for production; a purged name stays reserved for the retention period).')
param enablePurgeProtection bool

var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource openAiKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(openAiApiKey)) {
  parent: vault
  name: 'openai-api-key'
  properties: {
    value: openAiApiKey
    contentType: 'text/plain'
  }
}

resource backendKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'backend-api-key'
  properties: {
    value: backendApiKey
    contentType: 'text/plain'
  }
}

var secretReaders = [
  {
    role: 'apps'
    principalId: appsPrincipalId
  }
  {
    role: 'apim'
    principalId: apimPrincipalId
  }
]

resource secretsUsers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for reader in secretReaders: {
    name: guid(vault.id, reader.role, keyVaultSecretsUserRoleId)
    scope: vault
    properties: {
      principalId: reader.principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    }
  }
]

@description('Resource name of the vault.')
output name string = vault.name

@description('Versionless URI of the Azure OpenAI key secret, or empty when managed identity is used.')
output openAiKeySecretUri string = openAiKeySecret.?properties.secretUri ?? ''

@description('Versionless URI of the backend key secret (rotation is picked up without redeploying).')
output backendKeySecretUri string = backendKeySecret.properties.secretUri
