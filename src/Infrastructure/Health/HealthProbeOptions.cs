namespace Wrapper.Infrastructure.Health;

/// <summary>How health is checked (<c>Health:*</c>).</summary>
public sealed class HealthProbeOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Health";

    /// <summary>How long one upstream probe's result (success or failure) answers every health request
    /// (<c>Health:CacheSeconds</c>, default 5; 0 = probe on every request, still one probe for concurrent callers).</summary>
    public double CacheSeconds { get; set; } = 5;

    /// <summary>Default of <see cref="DeploymentCheckMinutes"/>.</summary>
    public const double DefaultDeploymentCheckMinutes = 15;

    /// <summary>How often, at most, a probe may spend one minimal completion (<c>max_tokens: 1</c>) per upstream to learn
    /// whether its deployment exists, when no chat answered in that time (<c>Health:DeploymentCheckMinutes</c>,
    /// default 15; 0 = never: a missing deployment is then reported only after a chat call was told so).
    /// Azure's specs have no token-free operation that tells whether a deployment exists; see docs/resilience.md.</summary>
    public double DeploymentCheckMinutes { get; set; } = DefaultDeploymentCheckMinutes;

    /// <summary><see cref="DeploymentCheckMinutes"/> as a time span (zero or less: disabled).</summary>
    public TimeSpan DeploymentCheckInterval =>
        DeploymentCheckMinutes > 0 && double.IsFinite(DeploymentCheckMinutes) ? TimeSpan.FromMinutes(Math.Min(DeploymentCheckMinutes, 24 * 60)) : TimeSpan.Zero;
}
