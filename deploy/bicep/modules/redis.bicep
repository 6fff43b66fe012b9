// Azure Managed Redis (Microsoft.Cache/redisEnterprise, api-version 2025-04-01) holding the per-client quota
// counters and the upstreams' shared throttling state of every instance. Access keys are off: the apps sign in
// with Microsoft Entra ID as their user-assigned managed identity, through an access policy assignment
// (accessPolicyName 'default') on the database. TLS only, on the database's port 10000.
// Spec: specification/redisenterprise/resource-manager/Microsoft.Cache/RedisEnterprise/stable/2025-04-01/redisenterprise.json

@description('Azure region.')
param location string

@description('Name of the cluster (globally unique host name: <name>.<region>.redis.azure.net).')
param name string

@description('Tags.')
param tags object

@description('SKU, e.g. Balanced_B0 (the smallest) or Balanced_B1; the counters need very little memory.')
param skuName string

@description('Principal (object) ID of the apps\' managed identity: the Redis user it signs in as.')
param principalId string

resource cluster 'Microsoft.Cache/redisEnterprise@2025-04-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    minimumTlsVersion: '1.2'
  }
}

resource database 'Microsoft.Cache/redisEnterprise/databases@2025-04-01' = {
  parent: cluster
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    // One endpoint; the service's Lua scripts keep each client's keys in one hash slot anyway.
    clusteringPolicy: 'EnterpriseCluster'
    // Every key carries a TTL: under memory pressure, expiring keys go first, never silently all of them.
    evictionPolicy: 'VolatileLRU'
    accessKeysAuthentication: 'Disabled'
  }
}

resource appsAccess 'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments@2025-04-01' = {
  parent: database
  name: 'wrapperapps'
  properties: {
    accessPolicyName: 'default'
    user: {
      objectId: principalId
    }
  }
}

@description('StackExchange.Redis configuration string of the database (no secret: Entra ID signs in).')
output connectionString string = '${cluster.properties.hostName}:${database.properties.port},ssl=true,abortConnect=false'
