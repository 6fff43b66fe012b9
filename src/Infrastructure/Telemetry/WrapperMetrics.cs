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
/// and new state), <c>gen_ai.client.token.usage</c> (tokens per model call by client and token type, GenAI semantic
/// conventions) and <c>wrapper.quota.refusals</c> (requests refused by a client's limits, by client and reason).
/// One singleton per host; thread-safe.
/// </summary>
public sealed class WrapperMetrics
{
    /// <summary>The meter's name (also the <see cref="ActivitySource"/>'s: <see cref="WrapperActivitySource.Name"/>).</summary>
    public const string MeterName = "Wrapper";

    private readonly Counter<long> _requests;
    private readonly Counter<long> _tokens;
    private readonly Histogram<double> _upstreamDuration;
    private readonly Counter<long> _breakerTransitions;
    private readonly Histogram<long> _clientTokens;
    private readonly Counter<long> _quotaRefusals;

    /// <summary>The GenAI semantic conventions' advised buckets for <c>gen_ai.client.token.usage</c>.</summary>
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    public WrapperMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        _requests = Meter.CreateCounter<long>("wrapper.requests", "{request}", "Inbound HTTP requests answered.");
        _tokens = Meter.CreateCounter<long>("wrapper.tokens", "{token}", "Tokens used by model calls, by deployment and kind.");
        _upstreamDuration = Meter.CreateHistogram<double>("wrapper.upstream.duration", "s", "Duration of upstream HTTP calls.");
        _breakerTransitions = Meter.CreateCounter<long>("wrapper.circuit_breaker.transitions", "{transition}",
            "Circuit breaker state changes, by upstream and new state.");
        _clientTokens = Meter.CreateHistogram("gen_ai.client.token.usage", "{token}", "Number of input and output tokens used, per client.",
            tags: null, advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        _quotaRefusals = Meter.CreateCounter<long>("wrapper.quota.refusals", "{request}",
            "Requests refused by the client's limits, by client and reason (client_rate_limited, client_token_limit, client_quota_exceeded).");
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

    /// <summary>The tokens one metered model call of <paramref name="client"/> used (GenAI semantic conventions:
    /// <c>gen_ai.operation.name</c> chat, <c>gen_ai.token.type</c> input or output; plus <c>wrapper.client</c>).</summary>
    public void RecordClientTokens(string client, TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        _clientTokens.Record(usage.PromptTokens, new TagList
        {
            { "gen_ai.operation.name", "chat" }, { "gen_ai.token.type", "input" }, { "wrapper.client", client },
        });
        _clientTokens.Record(usage.CompletionTokens, new TagList
        {
            { "gen_ai.operation.name", "chat" }, { "gen_ai.token.type", "output" }, { "wrapper.client", client },
        });
    }

    /// <summary>A request of <paramref name="client"/> refused by <paramref name="limit"/>.</summary>
    public void RecordQuotaRefusal(string client, Application.Quotas.QuotaLimit limit) =>
        _quotaRefusals.Add(1, new TagList { { "wrapper.client", client }, { "reason", QuotaCodes.For(limit) } });

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

/// <summary>The ProblemDetails <c>code</c> of each refusal by a client's limits (also the <c>reason</c> of
/// <c>wrapper.quota.refusals</c>).</summary>
public static class QuotaCodes
{
    public const string RateLimited = "client_rate_limited";
    public const string TokenLimit = "client_token_limit";
    public const string QuotaExceeded = "client_quota_exceeded";

    public static string For(Application.Quotas.QuotaLimit limit) => limit switch
    {
        Application.Quotas.QuotaLimit.RequestsPerMinute => RateLimited,
        Application.Quotas.QuotaLimit.TokensPerMinute => TokenLimit,
        _ => QuotaExceeded,
    };
}
