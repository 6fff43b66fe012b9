using System.Globalization;
using Azure;

namespace Wrapper.Infrastructure.Agents;

/// <summary>Reads how long the Agent Service asked us to wait: <c>retry-after-ms</c> / <c>x-ms-retry-after-ms</c>
/// first, then <c>retry-after</c> in seconds or as an HTTP date.</summary>
internal static class RetryAfter
{
    public static TimeSpan? Read(Response? response, DateTimeOffset now)
    {
        if (response is null)
        {
            return null;
        }

        foreach (var name in (string[])["retry-after-ms", "x-ms-retry-after-ms"])
        {
            if (response.Headers.TryGetValue(name, out var ms)
                && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds)
                && double.IsFinite(milliseconds) && milliseconds >= 0 && milliseconds < TimeSpan.FromDays(1).TotalMilliseconds)
            {
                return TimeSpan.FromMilliseconds(milliseconds);
            }
        }

        if (response.Headers.TryGetValue("retry-after", out var value) && !string.IsNullOrWhiteSpace(value))
        {
            value = value.Trim();
            if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= 86_400)
            {
                return TimeSpan.FromSeconds(seconds);
            }

            if (DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
            {
                var wait = date - now;
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }

        return null;
    }

    /// <summary>The wait named in a failed run's message, e.g. "Rate limit is exceeded. Try again in 22 seconds."</summary>
    public static TimeSpan? FromRunError(string? message)
    {
        if (string.IsNullOrEmpty(message))
        {
            return null;
        }

        var match = System.Text.RegularExpressions.Regex.Match(message, @"(?i)\bin (\d{1,5}) seconds?\b", System.Text.RegularExpressions.RegexOptions.CultureInvariant,
            TimeSpan.FromMilliseconds(100));
        return match.Success ? TimeSpan.FromSeconds(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)) : null;
    }
}
