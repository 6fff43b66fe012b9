using System.Globalization;

namespace Wrapper.Application.Quotas;

/// <summary>The fixed windows the limits count in, the same on every instance (UTC, from the instance's clock): the
/// current minute for requests and tokens per minute, the current hour, day or month for the token quota.</summary>
public static class QuotaWindows
{
    /// <summary>The minute containing <paramref name="now"/>: its number since the Unix epoch, and when it ends.</summary>
    public static (long Id, DateTimeOffset EndsAt) Minute(DateTimeOffset now)
    {
        var id = now.ToUnixTimeSeconds() / 60;
        return (id, DateTimeOffset.FromUnixTimeSeconds((id + 1) * 60));
    }

    /// <summary>The quota period containing <paramref name="now"/>: a name (<c>h2026120623</c>, <c>d20261206</c>,
    /// <c>m202612</c>) and when it ends (the quota's reset time).</summary>
    public static (string Id, DateTimeOffset EndsAt) Period(DateTimeOffset now, QuotaPeriod period)
    {
        // Every period starts on a UTC hour: within one hour the answer is the same, so it is worked out once per hour.
        var hour = now.UtcTicks / TimeSpan.TicksPerHour;
        var slot = (int)period;
        if ((uint)slot < (uint)LastPeriods.Length && Volatile.Read(ref LastPeriods[slot]) is { } last && last.Hour == hour)
        {
            return (last.Id, last.EndsAt);
        }

        var (id, endsAt) = Compute(now, period);
        if ((uint)slot < (uint)LastPeriods.Length)
        {
            Volatile.Write(ref LastPeriods[slot], new CachedPeriod(hour, id, endsAt));
        }

        return (id, endsAt);
    }

    private static readonly CachedPeriod?[] LastPeriods = new CachedPeriod?[3];

    private sealed record CachedPeriod(long Hour, string Id, DateTimeOffset EndsAt);

    private static (string Id, DateTimeOffset EndsAt) Compute(DateTimeOffset now, QuotaPeriod period)
    {
        var utc = now.UtcDateTime;
        return period switch
        {
            QuotaPeriod.Hourly => ("h" + utc.ToString("yyyyMMddHH", CultureInfo.InvariantCulture),
                new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero).AddHours(1)),
            QuotaPeriod.Monthly => ("m" + utc.ToString("yyyyMM", CultureInfo.InvariantCulture),
                new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1)),
            _ => ("d" + utc.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
                new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero).AddDays(1)),
        };
    }
}
