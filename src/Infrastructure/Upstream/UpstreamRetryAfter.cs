using System.ClientModel.Primitives;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Wrapper.Infrastructure.Upstream;

/// <summary>How long an upstream asked us to wait, read from the answers of either SDK pipeline by the one parser
/// (<see cref="RetryAfter"/>, src/Shared/RetryAfter.cs, which the gateway shares).</summary>
internal static partial class UpstreamRetryAfter
{
    /// <summary>An Azure OpenAI answer (System.ClientModel).</summary>
    public static TimeSpan? Read(PipelineResponse? response, DateTimeOffset now) =>
        response is null ? null : RetryAfter.Read(response, static (r, name) => r.Headers.TryGetValue(name, out var value) ? value : null, now);

    /// <summary>An Agent Service answer (Azure.Core).</summary>
    public static TimeSpan? Read(Azure.Response? response, DateTimeOffset now) =>
        response is null ? null : RetryAfter.Read(response, static (r, name) => r.Headers.TryGetValue(name, out var value) ? value : null, now);

    /// <summary>The wait named in a failed Agent Service run's message, e.g. "Rate limit is exceeded. Try again in 22 seconds."</summary>
    public static TimeSpan? FromRunError(string? message) =>
        !string.IsNullOrEmpty(message) && RunErrorWait().Match(message) is { Success: true } match
            ? RetryAfter.FromSeconds(long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture))
            : null;

    [GeneratedRegex(@"(?i)\bin (\d{1,5}) seconds?\b", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex RunErrorWait();
}
