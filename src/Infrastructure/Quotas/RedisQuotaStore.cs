using System.Collections.Concurrent;
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
/// key and applies the difference only if that key was still there; one call corrects any number of one client's
/// reservations. Keys carry TTLs (the end of their window plus a minute for late corrections; reservations an hour),
/// and all keys of a client share one hash slot (<c>{client-hash}</c>) so the scripts also run on clustered Redis
/// (Azure Managed Redis).
/// </summary>
/// <remarks>Keys, under <see cref="RedisOptions.KeyPrefix"/> <c>quota:{h}:</c> with <c>h</c> the first 16 hex digits of the
/// SHA-256 of the client partition (no key name or address in Redis): <c>rpm:&lt;minute&gt;</c>, <c>tpm:&lt;minute&gt;</c>,
/// <c>q:&lt;period&gt;</c>, <c>r:&lt;reservation id&gt;</c>. StackExchange.Redis sends a script in full once per server and by
/// its SHA-1 (<c>EVALSHA</c>) after that, again in full when the server has forgotten it (a restart, <c>SCRIPT FLUSH</c>).</remarks>
public sealed class RedisQuotaStore
{
    public const string StoreName = "redis";

    /// <summary>How long a window's keys outlive the window, for corrections of answers that end after it.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan ReservationLifetime = TimeSpan.FromHours(1);

    /// <summary>Above this many clients the key cache starts again (a flood of anonymous addresses only).</summary>
    private const int CachedClients = 10_000;

    // KEYS: requests, minute tokens, period tokens, reservation. ARGV: tokens, request limit, token limit, quota,
    // minute keys' expiry (unix ms), period key's expiry (unix ms), reservation lifetime (ms).
    // A counter's expiry is set by the call that created it (the count equals this call's own increment), in the same
    // script, so no counter exists without one; later calls leave it (three commands fewer per check: bench/).
    // Corrections only change counters that exist (EXISTS), so they never create one.
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
          if r == 1 then redis.call('PEXPIREAT', KEYS[1], ARGV[5]) end
        end
        if tokens > 0 then
          if tpm > 0 then
            t = redis.call('INCRBY', KEYS[2], tokens)
            if t == tokens then redis.call('PEXPIREAT', KEYS[2], ARGV[5]) end
          end
          if quota > 0 then
            q = redis.call('INCRBY', KEYS[3], tokens)
            if q == tokens then redis.call('PEXPIREAT', KEYS[3], ARGV[6]) end
          end
          redis.call('SET', KEYS[4], tokens, 'PX', ARGV[7])
        end
        return {0, r, t, q}
        """;

    // KEYS: per correction, its minute tokens, period tokens and reservation (3 keys each, all of one client).
    // ARGV: per correction, the real usage. Returns how many were applied now (the others had been already, or expired).
    private const string CorrectScript = """
        local applied = 0
        for i = 1, #ARGV do
          local k = (i - 1) * 3
          local reserved = redis.call('GET', KEYS[k + 3])
          if reserved then
            redis.call('DEL', KEYS[k + 3])
            local delta = tonumber(ARGV[i]) - tonumber(reserved)
            if delta ~= 0 then
              if redis.call('EXISTS', KEYS[k + 1]) == 1 then redis.call('INCRBY', KEYS[k + 1], delta) end
              if redis.call('EXISTS', KEYS[k + 2]) == 1 then redis.call('INCRBY', KEYS[k + 2], delta) end
            end
            applied = applied + 1
          end
        end
        return applied
        """;

    private readonly string _prefix;
    private readonly ConcurrentDictionary<string, ClientKeys> _keys = new(StringComparer.Ordinal);

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
        var keys = KeysOf(request.Client, minute.Id, period.Id);
        var id = Guid.NewGuid().ToString("N");
        var result = (RedisResult[]?)await database.ScriptEvaluateAsync(ReserveScript,
        [
            keys.Requests,
            keys.MinuteTokens,
            keys.PeriodTokens,
            keys.Reservation(id),
        ],
        [
            request.Tokens,
            limits.RequestsPerMinute,
            limits.TokensPerMinute,
            limits.TokenQuota,
            keys.MinuteExpiry,
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
        ArgumentNullException.ThrowIfNull(reservation);
        ArgumentNullException.ThrowIfNull(actual);
        return await CorrectAsync(database, [(reservation, actual)]).ConfigureAwait(false) == 1;
    }

    /// <summary>Applies the corrections of <paramref name="corrections"/>, all reservations of one client, in one round
    /// trip; each at most once however often it is sent. Returns how many were applied now.</summary>
    public async Task<int> CorrectAsync(IDatabase database, IReadOnlyList<(QuotaReservation Reservation, TokenUsage Actual)> corrections)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(corrections);
        if (corrections.Count == 0)
        {
            return 0;
        }

        var client = corrections[0].Reservation.Client;
        var keys = new RedisKey[corrections.Count * 3];
        var usage = new RedisValue[corrections.Count];
        for (var i = 0; i < corrections.Count; i++)
        {
            var (reservation, actual) = corrections[i];
            if (!string.Equals(reservation.Client, client, StringComparison.Ordinal))
            {
                throw new ArgumentException("Corrections sent together must all be of one client (one hash slot).", nameof(corrections));
            }

            var own = KeysOf(client, reservation.Minute, reservation.Period);
            keys[i * 3] = own.MinuteTokens;
            keys[(i * 3) + 1] = own.PeriodTokens;
            keys[(i * 3) + 2] = own.Reservation(reservation.Id);
            usage[i] = (long)actual.TotalTokens;
        }

        return (int)(long)await database.ScriptEvaluateAsync(CorrectScript, keys, usage).ConfigureAwait(false);
    }

    /// <summary>The counter keys of a client (tests read them to check the sums).</summary>
    public RedisKey[] Keys(string client, long minute, string period, string reservationId)
    {
        var keys = KeysOf(client, minute, period);
        return [keys.Requests, keys.MinuteTokens, keys.PeriodTokens, keys.Reservation(reservationId)];
    }

    /// <summary>The keys of <paramref name="client"/> in one minute and period: built once per client and window, since
    /// every request of a client in a minute names the same ones.</summary>
    private ClientKeys KeysOf(string client, long minute, string period)
    {
        if (_keys.TryGetValue(client, out var cached) && cached.Minute == minute && string.Equals(cached.Period, period, StringComparison.Ordinal))
        {
            return cached;
        }

        if (_keys.Count >= CachedClients)
        {
            _keys.Clear();
        }

        var slot = cached?.Slot ?? _prefix + "{" + Hash(client) + "}:";
        var keys = new ClientKeys(slot, minute, period);
        // An older window's keys (a late correction) are built but not cached over the current ones.
        if (cached is null || minute >= cached.Minute)
        {
            _keys[client] = keys;
        }

        return keys;
    }

    private static string Hash(string client) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(client)).AsSpan(0, 8));

    private sealed class ClientKeys
    {
        public ClientKeys(string slot, long minute, string period)
        {
            Slot = slot;
            Minute = minute;
            Period = period;
            Requests = slot + "rpm:" + minute;
            MinuteTokens = slot + "tpm:" + minute;
            PeriodTokens = slot + "q:" + period;
            MinuteExpiry = (DateTimeOffset.FromUnixTimeSeconds((minute + 1) * 60) + Grace).ToUnixTimeMilliseconds();
        }

        public string Slot { get; }
        public long Minute { get; }
        public string Period { get; }
        public RedisKey Requests { get; }
        public RedisKey MinuteTokens { get; }
        public RedisKey PeriodTokens { get; }
        public long MinuteExpiry { get; }

        public RedisKey Reservation(string id) => Slot + "r:" + id;
    }
}
