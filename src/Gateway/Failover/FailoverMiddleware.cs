using Microsoft.Extensions.Options;
using Wrapper.Gateway.Configuration;
using Wrapper.Gateway.Errors;
using Wrapper.Gateway.Health;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Wrapper.Gateway.Failover;

/// <summary>
/// The first step of YARP's proxy pipeline. Offers the request only to backends that are healthy right now
/// (read from each destination's health state, which the passive policy changes synchronously, so a backend that
/// has just failed is out for the very next request), and when the chosen backend failed before any byte reached
/// the client — a status of <see cref="FailoverOptions.RetryStatusCodes"/> (its body held back by
/// <see cref="BackendResponseTransform"/>) or a connection error — replays the request on another healthy backend,
/// each backend at most once, up to <see cref="FailoverOptions.MaxAttempts"/>. Session affinity and load balancing
/// run inside every try, so a client pinned to the failed backend is re-pinned to the one that answers.
/// With no healthy backend left: 503 problem details with <c>Retry-After</c>.
/// </summary>
public sealed class FailoverMiddleware
{
    private readonly RequestDelegate _next;
    private readonly FailoverOptions _options;
    private readonly BackendLedger _ledger;
    private readonly GatewayProblems _problems;
    private readonly ILogger<FailoverMiddleware> _logger;

    public FailoverMiddleware(
        RequestDelegate next,
        IOptions<GatewayOptions> options,
        BackendLedger ledger,
        GatewayProblems problems,
        ILogger<FailoverMiddleware> logger)
    {
        _next = next;
        _options = options.Value.Failover;
        _ledger = ledger;
        _problems = problems;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var cluster = proxy.Route.Cluster
            ?? throw new InvalidOperationException($"Route '{proxy.Route.Config.RouteId}' has no cluster.");

        var replayable = _options.Enabled && await RequestBodyReplay.PrepareAsync(context, _options.MaxReplayBodyBytes);
        var maxAttempts = !replayable ? 1 : _options.MaxAttempts > 0 ? _options.MaxAttempts : Math.Max(1, cluster.Destinations.Count);

        var attempt = new ForwardAttempt();
        context.Features.Set(attempt);
        var tried = new List<DestinationState>();
        for (var number = 1; ; number++)
        {
            var candidates = HealthyDestinations(cluster, tried);
            if (candidates.Count == 0)
            {
                _logger.LogWarning("No healthy backend for {Method} {Path} (tried {Tried})", context.Request.Method, context.Request.Path, tried.Count);
                await _problems.NoHealthyBackendAsync(context, cluster);
                return;
            }

            attempt.Begin(number, isLast: number >= maxAttempts || candidates.Count == 1);
            proxy.AvailableDestinations = candidates;
            proxy.ProxiedDestination = null;

            await _next(context);

            var destination = proxy.ProxiedDestination;
            if (destination is null || context.Response.HasStarted)
            {
                return;
            }

            var error = context.Features.Get<IForwarderErrorFeature>()?.Error ?? ForwarderError.None;
            var transportFailure = StatusAwarePassiveHealthPolicy.IsBackendError(error);
            if (!attempt.Suppressed && !transportFailure)
            {
                return;
            }

            if (context.RequestAborted.IsCancellationRequested)
            {
                return;
            }

            if (attempt.IsLast)
            {
                // Only a transport failure gets here (a held-back body only happens before the last try).
                await _problems.BackendFailedAsync(context, destination, error);
                return;
            }

            tried.Add(destination);
            _ledger.RecordFailover(destination.DestinationId);
            _logger.LogWarning(
                "{Method} {Path} failed on backend {Backend} ({Failure}); trying another backend (try {Attempt})",
                context.Request.Method, context.Request.Path, destination.DestinationId,
                transportFailure ? $"transport error {error}" : $"status {attempt.BackendStatus}", number + 1);

            context.Response.Clear();
            context.Features.Set<IForwarderErrorFeature>(null);
            RequestBodyReplay.Rewind(context);
        }
    }

    /// <summary>The backends neither health check has taken out, minus those already tried.</summary>
    public static IReadOnlyList<DestinationState> HealthyDestinations(ClusterState cluster, IReadOnlyCollection<DestinationState> excluded)
    {
        var all = cluster.DestinationsState.AllDestinations;
        var healthy = new List<DestinationState>(all.Count);
        foreach (var destination in all)
        {
            if (destination.Health.Active != DestinationHealth.Unhealthy
                && destination.Health.Passive != DestinationHealth.Unhealthy
                && !excluded.Contains(destination))
            {
                healthy.Add(destination);
            }
        }

        return healthy;
    }
}
