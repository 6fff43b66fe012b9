using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Wrapper.Gateway.Configuration;
using Wrapper.Gateway.Health;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Wrapper.Gateway.Status;

/// <summary><c>GET /gateway/status</c>: every backend with its health, whether it is in the pool, and its counters.</summary>
public static class GatewayStatusEndpoint
{
    public const string Path = "/gateway/status";

    public static IEndpointRouteBuilder MapGatewayStatus(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, (IProxyStateLookup proxyState, BackendLedger ledger, IOptions<GatewayOptions> options) =>
            TypedResults.Ok(Describe(proxyState, ledger, options.Value)))
            .WithName("GatewayStatus");
        return endpoints;
    }

    public static GatewayStatus Describe(IProxyStateLookup proxyState, BackendLedger ledger, GatewayOptions options)
    {
        var backends = new List<BackendStatus>();
        if (proxyState.TryGetCluster(GatewayProxyConfig.ClusterId, out var cluster))
        {
            foreach (var backend in options.Backends)
            {
                if (!cluster.Destinations.TryGetValue(backend.Name, out var destination))
                {
                    continue;
                }

                var counters = ledger.Snapshot(destination.DestinationId);
                backends.Add(new BackendStatus
                {
                    Name = destination.DestinationId,
                    Address = destination.Model.Config.Address,
                    Available = destination.Health.Active != DestinationHealth.Unhealthy && destination.Health.Passive != DestinationHealth.Unhealthy,
                    ActiveHealth = destination.Health.Active.ToString(),
                    PassiveHealth = destination.Health.Passive.ToString(),
                    UnhealthyUntil = destination.Health.Passive == DestinationHealth.Unhealthy ? ledger.UnhealthyUntil(destination.DestinationId) : null,
                    ConcurrentRequests = destination.ConcurrentRequestCount,
                    Forwarded = counters.Forwarded,
                    Failures = counters.Failures,
                    ClientRefusals = counters.ClientRefusals,
                    FailedOver = counters.FailedOver,
                    Ejections = counters.Ejections,
                    AffinityAssigned = counters.AffinityAssigned,
                    AffinityKept = counters.AffinityKept,
                    AffinityMovedAway = counters.AffinityMovedAway,
                    LastFailure = counters.LastFailure,
                    LastFailureAt = counters.LastFailureAt,
                });
            }
        }

        return new GatewayStatus
        {
            AffinityCookie = options.Affinity.Enabled ? options.Affinity.CookieName : null,
            Available = backends.Count(b => b.Available),
            Backends = backends,
        };
    }
}

public sealed class GatewayStatus
{
    /// <summary>The affinity cookie's name, or null when affinity is off.</summary>
    [JsonPropertyName("affinityCookie")]
    public string? AffinityCookie { get; init; }

    /// <summary>How many backends are in the pool.</summary>
    [JsonPropertyName("available")]
    public int Available { get; init; }

    [JsonPropertyName("backends")]
    public IReadOnlyList<BackendStatus> Backends { get; init; } = [];
}

public sealed class BackendStatus
{
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    [JsonPropertyName("address")]
    public string Address { get; init; } = "";

    /// <summary>True when neither health check has taken the backend out of the pool.</summary>
    [JsonPropertyName("available")]
    public bool Available { get; init; }

    /// <summary><c>Unknown</c> (no probe yet), <c>Healthy</c> or <c>Unhealthy</c>.</summary>
    [JsonPropertyName("activeHealth")]
    public string ActiveHealth { get; init; } = "";

    /// <summary><c>Unknown</c> or <c>Unhealthy</c> (until <see cref="UnhealthyUntil"/>).</summary>
    [JsonPropertyName("passiveHealth")]
    public string PassiveHealth { get; init; } = "";

    [JsonPropertyName("unhealthyUntil")]
    public DateTimeOffset? UnhealthyUntil { get; init; }

    [JsonPropertyName("concurrentRequests")]
    public int ConcurrentRequests { get; init; }

    /// <summary>Tries sent to this backend (answers and transport errors).</summary>
    [JsonPropertyName("forwarded")]
    public long Forwarded { get; init; }

    /// <summary>Tries that failed (unhealthy status or transport error).</summary>
    [JsonPropertyName("failures")]
    public long Failures { get; init; }

    /// <summary>Answers this backend marked <c>X-Wrapper-Refusal: client</c> (refused because of the client, e.g. over
    /// its rate limit): passed to the client, never counted as failures, never failed over.</summary>
    [JsonPropertyName("clientRefusals")]
    public long ClientRefusals { get; init; }

    /// <summary>Requests that failed here and were sent to another backend.</summary>
    [JsonPropertyName("failedOver")]
    public long FailedOver { get; init; }

    /// <summary>Times the passive check took this backend out of the pool.</summary>
    [JsonPropertyName("ejections")]
    public long Ejections { get; init; }

    /// <summary>Affinity cookies issued naming this backend (new clients and clients moved here).</summary>
    [JsonPropertyName("affinityAssigned")]
    public long AffinityAssigned { get; init; }

    /// <summary>Requests of clients pinned here that were served here.</summary>
    [JsonPropertyName("affinityKept")]
    public long AffinityKept { get; init; }

    /// <summary>Clients pinned here that were moved to another backend.</summary>
    [JsonPropertyName("affinityMovedAway")]
    public long AffinityMovedAway { get; init; }

    [JsonPropertyName("lastFailure")]
    public string? LastFailure { get; init; }

    [JsonPropertyName("lastFailureAt")]
    public DateTimeOffset? LastFailureAt { get; init; }
}
