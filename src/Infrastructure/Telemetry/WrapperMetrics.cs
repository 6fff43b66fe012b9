using System.Diagnostics;
using System.Diagnostics.Metrics;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Chat;

namespace Wrapper.Infrastructure.Telemetry;

/// <summary>
/// The service's own metrics, on the meter <see cref="MeterName"/> (exported by OpenTelemetry when configured):
/// <c>wrapper.requests</c> (inbound requests by method, route and status), <c>wrapper.tokens</c> (tokens by
/// deployment and kind: prompt or completion), <c>wrapper.upstream.duration</c> (seconds per upstream HTTP call, by
/// upstream, deployment and status) and <c>wrapper.circuit_breaker.transitions</c> (breaker state changes by upstream
/// and new state). One singleton per host; thread-safe.
/// </summary>
public sealed class WrapperMetrics
{
    /// <summary>The meter's name (also the <see cref="ActivitySource"/>'s: <see cref="WrapperActivitySource.Name"/>).</summary>
    public const string MeterName = "Wrapper";

    private readonly Counter<long> _requests;
    private readonly Counter<long> _tokens;
    private readonly Histogram<double> _upstreamDuration;
    private readonly Counter<long> _breakerTransitions;

    public WrapperMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        _requests = Meter.CreateCounter<long>("wrapper.requests", "{request}", "Inbound HTTP requests answered.");
        _tokens = Meter.CreateCounter<long>("wrapper.tokens", "{token}", "Tokens used by model calls, by deployment and kind.");
        _upstreamDuration = Meter.CreateHistogram<double>("wrapper.upstream.duration", "s", "Duration of upstream HTTP calls.");
        _breakerTransitions = Meter.CreateCounter<long>("wrapper.circuit_breaker.transitions", "{transition}",
            "Circuit breaker state changes, by upstream and new state.");
    }

    /// <summary>The meter every instrument belongs to (tests listen to exactly this instance).</summary>
    public Meter Meter { get; }

    /// <summary>One inbound request answered with <paramref name="status"/>; <paramref name="route"/> is the route
    /// template (never the raw path, which would explode the cardinality).</summary>
    public void RecordRequest(string method, string route, int status) =>
        _requests.Add(1, new TagList { { "http.request.method", method }, { "http.route", route }, { "http.response.status_code", status } });

    /// <summary>The tokens one model call used.</summary>
    public void RecordTokens(string deployment, TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        _tokens.Add(usage.PromptTokens, new TagList { { "deployment", deployment }, { "kind", "prompt" } });
        _tokens.Add(usage.CompletionTokens, new TagList { { "deployment", deployment }, { "kind", "completion" } });
    }

    /// <summary>One upstream HTTP call; <paramref name="status"/> is null when no answer came (transport error, timeout).</summary>
    public void RecordUpstreamCall(string upstream, string? deployment, int? status, TimeSpan duration) =>
        _upstreamDuration.Record(duration.TotalSeconds, new TagList
        {
            { "upstream", upstream },
            { "deployment", deployment ?? string.Empty },
            { "http.response.status_code", status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none" },
        });

    /// <summary>A circuit breaker of <paramref name="upstream"/> moved to <paramref name="state"/>. For the resilience
    /// pipeline's OnOpened / OnHalfOpened / OnClosed callbacks.</summary>
    public void RecordBreakerStateChange(string upstream, UpstreamCircuitState state) =>
        _breakerTransitions.Add(1, new TagList { { "upstream", upstream }, { "state", state.ToString().ToLowerInvariant() } });
}

/// <summary>The <see cref="ActivitySource"/> of the service's own spans (<c>Wrapper</c>), e.g. around upstream calls.</summary>
public static class WrapperActivitySource
{
    /// <summary>The source's name, registered with OpenTelemetry tracing.</summary>
    public const string Name = "Wrapper";

    /// <summary>The process-wide source (sources are cheap and meant to be static).</summary>
    public static ActivitySource Instance { get; } = new(Name);
}
