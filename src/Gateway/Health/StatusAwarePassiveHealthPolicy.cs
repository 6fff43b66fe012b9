using Microsoft.Extensions.Options;
using Wrapper.Gateway.Configuration;
using Wrapper.Gateway.Failover;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Wrapper.Gateway.Health;

/// <summary>
/// Passive health as the APIM policy does it: one answer with a status of
/// <see cref="PassiveHealthOptions.UnhealthyStatusCodes"/> (401, 429, 5xx; see
/// <see cref="PassiveHealthOptions.IgnoreClientChallenges"/> for 401) or one connection error takes the backend
/// out of the pool at once, for the backend's <c>Retry-After</c> when it sent one (capped), else for
/// <see cref="PassiveHealthOptions.ReactivationPeriod"/>. An answer the backend marked <c>X-Wrapper-Refusal: client</c>
/// (a refusal the client caused, such as its own rate limit) never counts, whatever its status. YARP's own <c>TransportFailureRate</c> policy counts only
/// transport errors and waits for a failure rate.
/// </summary>
public sealed class StatusAwarePassiveHealthPolicy : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "StatusAndRetryAfter";

    private readonly IDestinationHealthUpdater _healthUpdater;
    private readonly BackendLedger _ledger;
    private readonly PassiveHealthOptions _options;
    private readonly StatusCodeSet _unhealthy;
    private readonly ILogger<StatusAwarePassiveHealthPolicy> _logger;

    public StatusAwarePassiveHealthPolicy(
        IDestinationHealthUpdater healthUpdater,
        BackendLedger ledger,
        IOptions<GatewayOptions> options,
        ILogger<StatusAwarePassiveHealthPolicy> logger)
    {
        _healthUpdater = healthUpdater;
        _ledger = ledger;
        _options = options.Value.PassiveHealth;
        _unhealthy = StatusCodeSet.Parse(_options.UnhealthyStatusCodes);
        _logger = logger;
    }

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var failure = Classify(context, _unhealthy, _options.IgnoreClientChallenges);
        _ledger.RecordForwarded(destination.DestinationId, failure is not null, context.Features.Get<ForwardAttempt>()?.BackendRefusedClient == true);
        if (failure is not { } found)
        {
            return;
        }

        var period = found.RetryAfter is { } asked
            ? (asked > _options.MaxReactivationPeriod ? _options.MaxReactivationPeriod : asked)
            : _options.ReactivationPeriod;

        if (destination.Health.Passive == DestinationHealth.Unhealthy)
        {
            // Already out (a concurrent request failed first): YARP keeps the first reactivation time.
            return;
        }

        _ledger.RecordEjected(destination.DestinationId, _ledger.Now + period, found.Reason);
        _healthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, period);
        _logger.LogWarning(
            "Backend {Backend} leaves the pool for {Period} after {Reason}",
            destination.DestinationId, period, found.Reason);
    }

    /// <summary>The failure of the backend in this try, or null when it answered acceptably or the failure was
    /// the client's.</summary>
    public static BackendFailure? Classify(HttpContext context, StatusCodeSet statuses, bool ignoreClientChallenges)
    {
        if (context.Features.Get<IForwarderErrorFeature>() is { } error && error.Error != ForwarderError.None)
        {
            return IsBackendError(error.Error) ? new BackendFailure($"transport error {error.Error}", null) : null;
        }

        var attempt = context.Features.Get<ForwardAttempt>();
        if (attempt?.BackendRefusedClient == true)
        {
            // X-Wrapper-Refusal: client — the client's doing (e.g. over its rate limit), whatever the status.
            return null;
        }

        var status = attempt?.BackendStatus ?? context.Response.StatusCode;
        if (status == StatusCodes.Status401Unauthorized && ignoreClientChallenges && attempt?.BackendChallengedClient == true)
        {
            return null;
        }

        return statuses.Contains(status) ? new BackendFailure($"status {status}", attempt?.BackendRetryAfter) : null;
    }

    /// <summary>Errors that say the backend (not the client) failed.</summary>
    public static bool IsBackendError(ForwarderError error) => error is
        ForwarderError.Request or
        ForwarderError.RequestTimedOut or
        ForwarderError.RequestBodyDestination or
        ForwarderError.ResponseHeaders or
        ForwarderError.ResponseBodyDestination or
        ForwarderError.UpgradeRequestDestination or
        ForwarderError.UpgradeResponseDestination;
}

/// <summary>Why a backend failed, and how long it asked to be left alone.</summary>
public readonly record struct BackendFailure(string Reason, TimeSpan? RetryAfter);
