using Microsoft.Extensions.Options;
using Wrapper.Gateway.Configuration;
using Wrapper.Gateway.Health;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.SessionAffinity;

namespace Wrapper.Gateway.Affinity;

/// <summary>
/// Cookie session affinity with APIM's <c>APIM-Backend-Instance</c> semantics: the cookie holds the backend's
/// name in clear text (YARP's own cookie policies encrypt or hash it). A request whose cookie names a healthy
/// backend goes there; one whose backend is unhealthy or unknown gets <see cref="AffinityStatus.DestinationNotFound"/>,
/// so YARP's <c>Redistribute</c> failure policy load-balances it over the healthy backends, and the response
/// re-pins the client to the backend that answered.
/// </summary>
public sealed class BackendCookieAffinityPolicy : ISessionAffinityPolicy
{
    public const string PolicyName = "BackendNameCookie";

    private static readonly object PinnedKey = new();

    private readonly BackendLedger _ledger;
    private readonly StatusCodeSet _unhealthy;

    public BackendCookieAffinityPolicy(BackendLedger ledger, IOptions<GatewayOptions> options)
    {
        _ledger = ledger;
        _unhealthy = StatusCodeSet.Parse(options.Value.PassiveHealth.UnhealthyStatusCodes);
    }

    public string Name => PolicyName;

    public AffinityResult FindAffinitizedDestinations(HttpContext context, ClusterState cluster, SessionAffinityConfig config, IReadOnlyList<DestinationState> destinations)
    {
        var pinned = context.Request.Cookies[config.AffinityKeyName];
        if (string.IsNullOrEmpty(pinned))
        {
            return new AffinityResult(null, AffinityStatus.AffinityKeyNotSet);
        }

        context.Items[PinnedKey] = pinned;
        foreach (var destination in destinations)
        {
            if (string.Equals(destination.DestinationId, pinned, StringComparison.OrdinalIgnoreCase))
            {
                return new AffinityResult([destination], AffinityStatus.OK);
            }
        }

        return new AffinityResult(null, AffinityStatus.DestinationNotFound);
    }

    public void AffinitizeResponse(HttpContext context, ClusterState cluster, SessionAffinityConfig config, DestinationState destination)
    {
        // Never pin a client to a backend that has just failed: the next try (or the client's next request) goes elsewhere.
        if (_unhealthy.Contains(context.Response.StatusCode))
        {
            return;
        }

        var pinned = context.Items[PinnedKey] as string;
        if (string.Equals(pinned, destination.DestinationId, StringComparison.OrdinalIgnoreCase))
        {
            _ledger.RecordAffinityKept(destination.DestinationId);
            return;
        }

        context.Response.Cookies.Append(config.AffinityKeyName, destination.DestinationId, new CookieOptions
        {
            Path = config.Cookie?.Path ?? "/",
            Domain = config.Cookie?.Domain,
            HttpOnly = config.Cookie?.HttpOnly ?? true,
            SameSite = config.Cookie?.SameSite ?? SameSiteMode.Lax,
            Secure = context.Request.IsHttps,
            IsEssential = true,
        });

        var movedFrom = pinned is null
            ? null
            : cluster.Destinations.Keys.FirstOrDefault(id => string.Equals(id, pinned, StringComparison.OrdinalIgnoreCase));
        _ledger.RecordAffinityAssigned(destination.DestinationId, movedFrom);
    }
}
