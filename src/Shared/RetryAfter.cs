using System.Globalization;
using System.Net.Http.Headers;

namespace Wrapper;

/// <summary>
/// The one reader of how long an upstream asked us to wait, for every caller: the Azure OpenAI and Agent Service
/// adapters (src/Infrastructure, through <c>UpstreamRetryAfter</c>) and the gateway (src/Gateway) reading the service's
/// answers. <c>retry-after-ms</c> / <c>x-ms-retry-after-ms</c> (Azure's precise form) win over <c>retry-after</c> in
/// seconds or as an HTTP date. A wait that is not positive names no wait (null: the caller's own default applies), and
/// every wait is capped at <see cref="Longest"/>.
/// </summary>
/// <remarks>Linked as source into each program that needs it (hence <c>internal</c>), like WrapperHeaders.cs: the
/// gateway is a separate program and image, and one dependency-free file does not justify a library project.</remarks>
internal static class RetryAfter
{
    /// <summary>The longest wait believed: one day. Azure's rate limits ask for seconds to a minute and daily quotas reset
    /// within a day; anything longer is a broken header, and capping keeps a circuit's or a backend's cool-down finite
    /// without dropping the upstream's request to back off.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(1);

    private static readonly string[] MillisecondHeaders = ["retry-after-ms", "x-ms-retry-after-ms"];

    /// <summary>Reads the wait from any response's headers; <paramref name="header"/> returns a header's (first) value or
    /// null.</summary>
    public static TimeSpan? Read<TResponse>(TResponse response, Func<TResponse, string, string?> header, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(header);
        foreach (var name in MillisecondHeaders)
        {
            if (double.TryParse(header(response, name), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && double.IsFinite(ms))
            {
                return Wait(ms >= Longest.TotalMilliseconds ? Longest : TimeSpan.FromMilliseconds(Math.Max(0, ms)));
            }
        }

        var value = header(response, "retry-after")?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return Wait(seconds >= (long)Longest.TotalSeconds ? Longest : TimeSpan.FromSeconds(seconds));
        }

        return DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? Until(date, now)
            : null;
    }

    /// <summary>A backend's answer as the gateway sees it.</summary>
    public static TimeSpan? From(HttpResponseMessage response, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(response);
        return Read(response, static (r, name) => r.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null, now);
    }

    /// <summary>A <c>Retry-After</c> header already parsed by .NET.</summary>
    public static TimeSpan? From(RetryConditionHeaderValue? header, DateTimeOffset now) =>
        header?.Delta is { } delta ? Wait(delta) : header?.Date is { } date ? Until(date, now) : null;

    /// <summary>A wait given in words, e.g. an Agent Service run's "Try again in 22 seconds.", capped the same way.</summary>
    public static TimeSpan? FromSeconds(long seconds) => Wait(TimeSpan.FromSeconds(Math.Min(seconds, (long)Longest.TotalSeconds)));

    /// <summary>The header value for a wait: whole seconds, rounded up, at least 1.</summary>
    public static string ToHeaderValue(TimeSpan wait) =>
        Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static TimeSpan? Until(DateTimeOffset date, DateTimeOffset now) =>
        date - now is var wait && wait > Longest ? Longest : Wait(wait);

    private static TimeSpan? Wait(TimeSpan wait) => wait > TimeSpan.Zero ? (wait > Longest ? Longest : wait) : null;
}
