using System.Diagnostics;
using System.Diagnostics.Metrics;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Chat;

namespace Wrapper.Infrastructure.Telemetry;

/// <summary>
/// The service's own metrics, on the meter <see cref="MeterName"/> (exported by OpenTelemetry when configured). HTTP
/// requests in and out are measured once, by the standard ASP.NET Core and HttpClient instrumentation
/// (<c>http.server.request.duration</c>, <c>http.client.request.duration</c>), enriched with our tags; here only what
/// they cannot see: the model calls, after the OpenTelemetry GenAI semantic conventions (semconv v1.41,
/// docs/gen-ai/gen-ai-metrics.md) — <c>gen_ai.client.operation.duration</c> (s) and <c>gen_ai.client.token.usage</c>
/// ({token}, <c>gen_ai.token.type</c> input / output), with <c>gen_ai.operation.name</c>,
/// <c>gen_ai.provider.name</c>, <c>gen_ai.request.model</c> (the deployment), <c>gen_ai.response.model</c> and, on
/// failure, <c>error.type</c> —, <c>wrapper.circuit_breaker.transitions</c> (breaker state changes by upstream and new state), and
/// for the client quotas <c>wrapper.client.token.usage</c> (the tokens each client's answers used, with the GenAI
/// attributes <c>gen_ai.operation.name</c> and <c>gen_ai.token.type</c> plus <c>wrapper.client</c>: a second
/// <c>gen_ai.client.token.usage</c> would count every model call twice) and <c>wrapper.quota.refusals</c> (requests
/// refused by a client's limits, by client and reason). One singleton per host; thread-safe.
/// </summary>
public sealed class WrapperMetrics
{
    /// <summary>The meter's name (also the <see cref="ActivitySource"/>'s: <see cref="WrapperActivitySource.Name"/>).</summary>
    public const string MeterName = "Wrapper";

    /// <summary><c>gen_ai.provider.name</c> of Azure OpenAI (the value that replaced <c>gen_ai.system = az.ai.openai</c>).</summary>
    public const string AzureOpenAIProvider = "azure.ai.openai";

    /// <summary><c>gen_ai.operation.name</c> of a chat completion (streamed or not).</summary>
    public const string ChatOperation = "chat";

    // The explicit bucket boundaries the conventions ask for.
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
    private static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    private readonly Histogram<long> _tokenUsage;
    private readonly Histogram<double> _operationDuration;
    private readonly Counter<long> _breakerTransitions;
    private readonly Histogram<long> _clientTokens;
    private readonly Counter<long> _quotaRefusals;

    public WrapperMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        _tokenUsage = Meter.CreateHistogram("gen_ai.client.token.usage", "{token}", "Number of input and output tokens used.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        _operationDuration = Meter.CreateHistogram("gen_ai.client.operation.duration", "s", "GenAI operation duration.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _breakerTransitions = Meter.CreateCounter<long>("wrapper.circuit_breaker.transitions", "{transition}",
            "Circuit breaker state changes, by upstream and new state.");
        _clientTokens = Meter.CreateHistogram("wrapper.client.token.usage", "{token}", "Number of input and output tokens used, per client.",
            tags: null, advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        _quotaRefusals = Meter.CreateCounter<long>("wrapper.quota.refusals", "{request}",
            "Requests refused by the client's limits, by client and reason (client_rate_limited, client_token_limit, client_quota_exceeded).");
    }

    /// <summary>The meter every instrument belongs to (tests listen to exactly this instance).</summary>
    public Meter Meter { get; }

    /// <summary>One chat operation on Azure OpenAI, streamed or not, ended: its duration, and the tokens it used when it
    /// answered (a stream's once it ended).</summary>
    /// <param name="requestModel">The deployment called (<c>gen_ai.request.model</c>).</param>
    /// <param name="responseModel">The model that answered, as the answer names it; null when none did.</param>
    /// <param name="duration">From the request to the whole answer (a stream's last piece) or the failure.</param>
    /// <param name="usage">The tokens used; null when the operation failed.</param>
    /// <param name="errorType">The failure (<c>error.type</c>); null on success.</param>
    public void RecordChat(string requestModel, string? responseModel, TimeSpan duration, TokenUsage? usage, string? errorType)
    {
        var tags = new TagList
        {
            { "gen_ai.operation.name", ChatOperation },
            { "gen_ai.provider.name", AzureOpenAIProvider },
            { "gen_ai.request.model", requestModel },
        };
        if (!string.IsNullOrEmpty(responseModel))
        {
            tags.Add("gen_ai.response.model", responseModel);
        }

        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        _operationDuration.Record(duration.TotalSeconds, tags);
        if (usage is not null)
        {
            var input = tags;
            input.Add("gen_ai.token.type", "input");
            _tokenUsage.Record(usage.PromptTokens, input);
            var output = tags;
            output.Add("gen_ai.token.type", "output");
            _tokenUsage.Record(usage.CompletionTokens, output);
        }
    }

    /// <summary>The tokens one metered model call of <paramref name="client"/> used (GenAI attributes:
    /// <c>gen_ai.operation.name</c> chat, <c>gen_ai.token.type</c> input or output; plus <c>wrapper.client</c>).</summary>
    public void RecordClientTokens(string client, TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        _clientTokens.Record(usage.PromptTokens, new TagList
        {
            { "gen_ai.operation.name", ChatOperation }, { "gen_ai.token.type", "input" }, { "wrapper.client", client },
        });
        _clientTokens.Record(usage.CompletionTokens, new TagList
        {
            { "gen_ai.operation.name", ChatOperation }, { "gen_ai.token.type", "output" }, { "wrapper.client", client },
        });
    }

    /// <summary>A request of <paramref name="client"/> refused by <paramref name="limit"/>.</summary>
    public void RecordQuotaRefusal(string client, Application.Quotas.QuotaLimit limit) =>
        _quotaRefusals.Add(1, new TagList { { "wrapper.client", client }, { "reason", QuotaCodes.For(limit) } });

    /// <summary>A circuit breaker of <paramref name="upstream"/> moved to <paramref name="state"/>. For the resilience
    /// pipeline's OnOpened / OnHalfOpened / OnClosed callbacks.</summary>
    public void RecordBreakerStateChange(string upstream, UpstreamCircuitState state) =>
        _breakerTransitions.Add(1, new TagList { { "upstream", upstream }, { "state", state.ToString().ToLowerInvariant() } });
}

/// <summary>The <see cref="ActivitySource"/> of the service's own spans (<c>Wrapper</c>).</summary>
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
