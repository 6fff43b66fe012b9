namespace Wrapper.Infrastructure.Resilience;

/// <summary>
/// The circuit breaker of each upstream (<c>AzureOpenAI:CircuitBreaker:*</c>). A 429 opens it at once for the
/// upstream's retry-after (else <see cref="BreakDuration"/>); a 401/403 or a missing deployment (404) opens it at once
/// for <see cref="MisconfigurationBreakDuration"/>; 5xx, timeouts, dropped connections and unreadable answers open it
/// when at least <see cref="MinimumThroughput"/> requests in <see cref="SamplingDuration"/> failed in a proportion of
/// at least <see cref="FailureRatio"/> (for a 503's retry-after, else <see cref="BreakDuration"/>). When the time is up
/// one trial request goes through: success closes the circuit, failure opens it again.
/// </summary>
public sealed class UpstreamCircuitBreakerOptions
{
    /// <summary>On or off (<c>Enabled</c>). Default: on with two or more upstreams, off with one, where opening the
    /// circuit could only replace the upstream's own answer (with its status and retry-after) by a blanket 503.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Proportion of failed requests that opens the circuit (<c>FailureRatio</c>, default 0.5).</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Requests needed in the window before the ratio counts (<c>MinimumThroughput</c>, at least 2, default 4).</summary>
    public int MinimumThroughput { get; set; } = 4;

    /// <summary>The window the ratio is measured over (<c>SamplingDurationSeconds</c>, default 30).</summary>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><see cref="SamplingDuration"/> in seconds, as configured.</summary>
    public double SamplingDurationSeconds { get => SamplingDuration.TotalSeconds; set => SamplingDuration = TimeSpan.FromSeconds(value); }

    /// <summary>The cool-down when the upstream gave no retry-after (<c>BreakDurationSeconds</c>, default 30).</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><see cref="BreakDuration"/> in seconds, as configured.</summary>
    public double BreakDurationSeconds { get => BreakDuration.TotalSeconds; set => BreakDuration = TimeSpan.FromSeconds(value); }

    /// <summary>The cool-down after 401/403/404, which mean our configuration of that upstream is wrong
    /// (<c>MisconfigurationBreakSeconds</c>, default 300).</summary>
    public TimeSpan MisconfigurationBreakDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary><see cref="MisconfigurationBreakDuration"/> in seconds, as configured.</summary>
    public double MisconfigurationBreakSeconds { get => MisconfigurationBreakDuration.TotalSeconds; set => MisconfigurationBreakDuration = TimeSpan.FromSeconds(value); }

    /// <summary>Whether the breakers are on for a pool of <paramref name="upstreamCount"/> upstreams.</summary>
    public bool IsEnabledFor(int upstreamCount) => Enabled ?? upstreamCount > 1;
}
