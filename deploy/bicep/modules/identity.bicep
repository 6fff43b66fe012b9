// The user-assigned managed identity of the Container Apps: pulls the image from the registry, reads the
// OpenAI key from Key Vault, and (when no key is configured) calls Azure OpenAI and the Agent Service with
// Entra ID tokens through DefaultAzureCredential (AZURE_CLIENT_ID selects it).

@description('Azure region of the identity.')
param location string

@description('Name of the identity.')
param name string

@description('Tags applied to every resource.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Client ID of the identity (AZURE_CLIENT_ID for DefaultAzureCredential).')
output clientId string = identity.properties.clientId

@description('Principal (object) ID of the identity, for role assignments.')
output principalId string = identity.properties.principalId
