namespace Wrapper.Infrastructure.Quotas;

/// <summary>Where the shared state of every instance lives (section <c>Redis</c>): the per-client quota counters and
/// the upstreams' shared throttling state. Without <see cref="ConnectionString"/> each instance keeps its own.</summary>
public sealed class RedisOptions
{
    public const string SectionName = "Redis";

    /// <summary>A StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> or
    /// <c>myredis.westeurope.redis.azure.net:10000,ssl=true</c>. Empty: no Redis.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Authenticate with Microsoft Entra ID (the managed identity, through DefaultAzureCredential) instead of a
    /// password: the access token for <c>https://redis.azure.com/.default</c> is the password, renewed before it expires.</summary>
    public bool UseEntraId { get; set; }

    /// <summary>The Redis user of the Entra ID identity: the object (principal) id of the managed identity, as the
    /// access policy assignment names it. Empty: the token's own <c>oid</c> claim.</summary>
    public string? EntraIdUser { get; set; }

    /// <summary>Longest wait for Redis on a request, in milliseconds, before the instance answers from its own counters.
    /// Default 50.</summary>
    public int TimeoutMilliseconds { get; set; } = 50;

    /// <summary>After Redis failed or was slow, how long the instance keeps to its own counters before trying it again,
    /// in seconds. Default 5.</summary>
    public int RetrySeconds { get; set; } = 5;

    /// <summary>Prefix of every key and channel this service uses. Default <c>wrapper:</c>.</summary>
    public string KeyPrefix { get; set; } = "wrapper:";

    public bool Configured => !string.IsNullOrWhiteSpace(ConnectionString);
}
