using System.Globalization;
using System.Net.Http.Headers;

namespace Wrapper.Gateway.Health;

/// <summary>Reads how long a backend asked to be left alone: <c>retry-after-ms</c> (Azure OpenAI's precise form)
/// or <c>Retry-After</c> in seconds or as an HTTP date.</summary>
public static class RetryAfter
{
    public static TimeSpan? From(HttpResponseMessage response, DateTimeOffset now)
    {
        if (response.Headers.TryGetValues("retry-after-ms", out var values)
            && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms)
            && double.IsFinite(ms) && ms > 0)
        {
            return TimeSpan.FromMilliseconds(Math.Min(ms, TimeSpan.FromDays(1).TotalMilliseconds));
        }

        return From(response.Headers.RetryAfter, now);
    }

    public static TimeSpan? From(RetryConditionHeaderValue? header, DateTimeOffset now)
    {
        if (header?.Delta is { } delta)
        {
            return delta > TimeSpan.Zero ? delta : null;
        }

        if (header?.Date is { } date)
        {
            var wait = date - now;
            return wait > TimeSpan.Zero ? wait : null;
        }

        return null;
    }

    /// <summary>The header value for a wait: whole seconds, rounded up, at least 1.</summary>
    public static string ToHeaderValue(TimeSpan wait) =>
        Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
