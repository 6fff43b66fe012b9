namespace Wrapper.Infrastructure.Health;

/// <summary>How health is checked (<c>Health:*</c>).</summary>
public sealed class HealthProbeOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Health";

    /// <summary>How long one upstream probe's result (success or failure) answers every health request
    /// (<c>Health:CacheSeconds</c>, default 5; 0 = probe on every request, still one probe for concurrent callers).</summary>
    public double CacheSeconds { get; set; } = 5;
}
