using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;
using Wrapper.Application.Quotas;
using Wrapper.Domain.Chat;

namespace Wrapper.Infrastructure.Quotas;

/// <summary>
/// The counters in Redis, shared by every instance. One round trip per check: a Lua script reads the client's counters,
/// decides, and (when it admits) counts the request and the reserved tokens and records the reservation, atomically.
/// The correction is a second script that applies a reservation's difference at most once: it deletes the reservation's
/// key and applies the difference only if that key was still there. Keys carry TTLs (the end of their window plus a
/// minute for late corrections; reservations an hour), and all keys of a client share one hash slot
/// (<c>{client-hash}</c>) so the scripts also run on clustered Redis (Azure Managed Redis).
/// </summary>
/// <remarks>Keys, under <see cref="RedisOptions.KeyPrefix"/> <c>quota:{h}:</c> with <c>h</c> the first 16 hex digits of the
/// SHA-256 of the client partition (no key name or address in Redis): <c>rpm:&lt;minute&gt;</c>, <c>tpm:&lt;minute&gt;</c>,
/// <c>q:&lt;period&gt;</c>, <c>r:&lt;reservation id&gt;</c>.</remarks>
public sealed class RedisQuotaStore
{
    public const string StoreName = "redis";

    /// <summary>How long a window's keys outlive the window, for corrections of answers that end after it.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan ReservationLifetime = TimeSpan.FromHours(1);

    // KEYS: requests, minute tokens, period tokens, reservation. ARGV: tokens, request limit, token limit, quota,
    // minute keys' expiry (unix ms), period key's expiry (unix ms), reservation lifetime (ms).
    // Returns {refusal (0 none, 1 requests, 2 tokens per minute, 3 quota), requests, minute tokens, period tokens}.
    private const string ReserveScript = """
        local tokens = tonumber(ARGV[1])
        local rpm = tonumber(ARGV[2])
        local tpm = tonumber(ARGV[3])
        local quota = tonumber(ARGV[4])
        local r = tonumber(redis.call('GET', KEYS[1]) or '0')
        local t = tonumber(redis.call('GET', KEYS[2]) or '0')
        local q = tonumber(redis.call('GET', KEYS[3]) or '0')
        if rpm > 0 and r + 1 > rpm then return {1, r, t, q} end
        if tpm > 0 and tokens > 0 and t > 0 and t + tokens > tpm then return {2, r, t, q} end
        if quota > 0 and tokens > 0 and q + tokens > quota then return {3, r, t, q} end
        if rpm > 0 then
          r = redis.call('INCR', KEYS[1])
          redis.call('PEXPIREAT', KEYS[1], ARGV[5])
        end
        if tokens > 0 then
          if tpm > 0 then
            t = redis.call('INCRBY', KEYS[2], tokens)
            redis.call('PEXPIREAT', KEYS[2], ARGV[5])
          end
          if quota > 0 then
            q = redis.call('INCRBY', KEYS[3], tokens)
            redis.call('PEXPIREAT', KEYS[3], ARGV[6])
          end
          redis.call('SET', KEYS[4], tokens, 'PX', ARGV[7])
        end
        return {0, r, t, q}
        """;

    // KEYS: minute tokens, period tokens, reservation. ARGV: the real usage. Returns 1 when applied, 0 when it had been.
    private const string CorrectScript = """
        local reserved = redis.call('GET', KEYS[3])
        if not reserved then return 0 end
        redis.call('DEL', KEYS[3])
        local delta = tonumber(ARGV[1]) - tonumber(reserved)
        if delta ~= 0 then
          if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCRBY', KEYS[1], delta) end
          if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('INCRBY', KEYS[2], delta) end
        end
        return 1
        """;

    private readonly string _prefix;

    public RedisQuotaStore(string keyPrefix)
    {
        _prefix = keyPrefix + "quota:";
    }

    public async Task<QuotaDecision> ReserveAsync(IDatabase database, QuotaRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(request);
        var limits = request.Limits;
        var minute = QuotaWindows.Minute(now);
        var period = QuotaWindows.Period(now, limits.QuotaPeriod);
        var id = Guid.NewGuid().ToString("N");
        var keys = Keys(request.Client, minute.Id, period.Id, id);
        var result = (RedisResult[]?)await database.ScriptEvaluateAsync(ReserveScript, keys,
        [
            request.Tokens,
            limits.RequestsPerMinute,
            limits.TokensPerMinute,
            limits.TokenQuota,
            (minute.EndsAt + Grace).ToUnixTimeMilliseconds(),
            (period.EndsAt + Grace).ToUnixTimeMilliseconds(),
            (long)ReservationLifetime.TotalMilliseconds,
        ]).ConfigureAwait(false) ?? throw new RedisException("The quota script returned nothing.");

        var refused = (long)result[0] switch
        {
            1 => QuotaLimit.RequestsPerMinute,
            2 => QuotaLimit.TokensPerMinute,
            3 => QuotaLimit.TokenQuota,
            _ => (QuotaLimit?)null,
        };
        var reservation = refused is null ? new QuotaReservation(id, request.Client, minute.Id, period.Id, request.Tokens, StoreName) : null;
        return QuotaArithmetic.Decide(request, now, refused, (long)result[1], (long)result[2], (long)result[3], reservation);
    }

    /// <summary>Applies the correction; true when it was applied now, false when it had been already (or expired).</summary>
    public async Task<bool> CorrectAsync(IDatabase database, QuotaReservation reservation, TokenUsage actual)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(reservation);
        ArgumentNullException.ThrowIfNull(actual);
        var keys = Keys(reservation.Client, reservation.Minute, reservation.Period, reservation.Id);
        var applied = await database.ScriptEvaluateAsync(CorrectScript, [keys[1], keys[2], keys[3]], [(long)actual.TotalTokens]).ConfigureAwait(false);
        return (long)applied == 1;
    }

    /// <summary>The counter keys of a client (tests read them to check the sums).</summary>
    public RedisKey[] Keys(string client, long minute, string period, string reservationId)
    {
        var slot = _prefix + "{" + Hash(client) + "}:";
        return [slot + "rpm:" + minute, slot + "tpm:" + minute, slot + "q:" + period, slot + "r:" + reservationId];
    }

    private static string Hash(string client) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(client)).AsSpan(0, 8));
}
