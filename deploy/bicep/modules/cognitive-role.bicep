// One role assignment on an Azure AI Services / Azure OpenAI account, or on a Foundry project of that
// account. Deployed at the account's resource group, which may be in another subscription.

@description('Name of the existing Microsoft.CognitiveServices account.')
param accountName string

@description('Name of a Foundry project of the account to scope the assignment to; empty for the whole account.')
param projectName string = ''

@description('Principal ID of the identity that receives the role.')
param principalId string

@description('Resource ID of that identity (names the role assignment deterministically).')
param identityResourceId string

@description('Built-in role definition GUID.')
param roleDefinitionId string

resource account 'Microsoft.CognitiveServices/accounts@2025-06-01' existing = {
  name: accountName
}

resource project 'Microsoft.CognitiveServices/accounts/projects@2025-06-01' existing = if (!empty(projectName)) {
  parent: account
  name: projectName
}

resource onAccount 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (empty(projectName)) {
  name: guid(account.id, identityResourceId, roleDefinitionId)
  scope: account
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionId)
  }
}

resource onProject 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(projectName)) {
  name: guid(project.id, identityResourceId, roleDefinitionId)
  scope: project
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionId)
  }
}
