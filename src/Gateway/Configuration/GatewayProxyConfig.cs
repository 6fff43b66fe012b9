using Microsoft.AspNetCore.Http;
using Wrapper.Gateway.Affinity;
using Wrapper.Gateway.Health;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Wrapper.Gateway.Configuration;

/// <summary>Turns <see cref="GatewayOptions"/> into YARP's route and cluster.</summary>
public static class GatewayProxyConfig
{
    public const string RouteId = "api";
    public const string ClusterId = "backends";

    /// <summary>Every path except the gateway's own goes to the backends.</summary>
    public static IReadOnlyList<RouteConfig> Routes() =>
    [
        new RouteConfig
        {
            RouteId = RouteId,
            ClusterId = ClusterId,
            Match = new RouteMatch { Path = "{**catch-all}" },
        },
    ];

    public static IReadOnlyList<ClusterConfig> Clusters(GatewayOptions options) =>
    [
        new ClusterConfig
        {
            ClusterId = ClusterId,
            LoadBalancingPolicy = options.LoadBalancingPolicy,
            SessionAffinity = options.Affinity.Enabled
                ? new SessionAffinityConfig
                {
                    Enabled = true,
                    Policy = BackendCookieAffinityPolicy.PolicyName,
                    FailurePolicy = "Redistribute",
                    AffinityKeyName = options.Affinity.CookieName,
                    Cookie = new SessionAffinityCookieConfig
                    {
                        Path = "/",
                        HttpOnly = true,
                        SameSite = SameSiteMode.Lax,
                        SecurePolicy = CookieSecurePolicy.SameAsRequest,
                    },
                }
                : null,
            HealthCheck = new HealthCheckConfig
            {
                Passive = new PassiveHealthCheckConfig
                {
                    Enabled = options.PassiveHealth.Enabled,
                    Policy = StatusAwarePassiveHealthPolicy.PolicyName,
                    ReactivationPeriod = options.PassiveHealth.ReactivationPeriod,
                },
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = options.ActiveHealth.Enabled,
                    Interval = options.ActiveHealth.Interval,
                    Timeout = options.ActiveHealth.Timeout,
                    Policy = "ConsecutiveFailures",
                    Path = options.ActiveHealth.Path,
                },
                AvailableDestinationsPolicy = "HealthyAndUnknown",
            },
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = options.RequestTimeout },
            Metadata = new Dictionary<string, string>
            {
                ["ConsecutiveFailuresHealthPolicy.Threshold"] = options.ActiveHealth.ConsecutiveFailures.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            Destinations = options.Backends.ToDictionary(
                backend => backend.Name,
                backend => new DestinationConfig { Address = backend.Address },
                StringComparer.OrdinalIgnoreCase),
        },
    ];
}
