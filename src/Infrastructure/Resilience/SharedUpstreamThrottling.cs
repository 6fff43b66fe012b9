using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Wrapper.Infrastructure.Quotas;

namespace Wrapper.Infrastructure.Resilience;

/// <summary>
/// Shares what one instance learns from an upstream's 429 with every other instance through Redis (when configured):
/// the instance that was throttled writes <c>&lt;prefix&gt;upstream:&lt;name&gt;:throttled</c> with the retry-after as
/// its TTL and publishes it on <c>&lt;prefix&gt;upstream-throttled</c>; every instance opens its circuit of that upstream
/// until then, and one that (re)connects later reads the keys. So five instances do not each hit a throttled upstream.
/// Best effort: without Redis, or while it is down, each instance learns on its own, as before.
/// </summary>
public sealed class SharedUpstreamThrottling : IHostedService
{
    private readonly IReadOnlyList<UpstreamCircuit> _circuits;
    private readonly RedisConnection _redis;
    private readonly TimeProvider _time;
    private readonly ILogger<SharedUpstreamThrottling> _logger;
    private readonly string _prefix;
    private readonly RedisChannel _channel;
    private readonly string _self = Guid.NewGuid().ToString("N");

    public SharedUpstreamThrottling(IEnumerable<UpstreamCircuit> circuits, RedisConnection redis, IOptions<RedisOptions> options, TimeProvider time,
        ILogger<SharedUpstreamThrottling> logger)
    {
        _circuits = circuits.ToList();
        _redis = redis;
        _time = time;
        _logger = logger;
        _prefix = options.Value.KeyPrefix;
        _channel = RedisChannel.Literal(_prefix + "upstream-throttled");
        Enabled = options.Value.Configured;
    }

    public bool Enabled { get; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return Task.CompletedTask;
        }

        foreach (var circuit in _circuits)
        {
            circuit.Throttled += Publish;
        }

        if (_redis.Multiplexer is { } ready)
        {
            _ = SubscribeAsync(ready);
        }
        else
        {
            _redis.Opened += multiplexer => _ = SubscribeAsync(multiplexer);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var circuit in _circuits)
        {
            circuit.Throttled -= Publish;
        }

        return Task.CompletedTask;
    }

    /// <summary>Runs a task in the background; its failures are logged by the task itself.</summary>
    private static void Forget(Task task) => _ = task;

    private string Key(string upstream) => _prefix + "upstream:" + upstream + ":throttled";

    private void Publish(UpstreamCircuit circuit, TimeSpan duration)
    {
        if (_redis.Connected is not { } connection || duration <= TimeSpan.Zero)
        {
            return;
        }

        var until = _time.GetUtcNow() + duration;
        var database = connection.GetDatabase();
        var untilMs = until.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        // Fire and forget: the request that learned it is not held up by telling the others.
        _ = database.StringSetAsync(Key(circuit.Name), untilMs, duration, flags: CommandFlags.FireAndForget);
        _ = database.PublishAsync(_channel, $"{_self}|{untilMs}|{circuit.Name}", CommandFlags.FireAndForget);
    }

    private async Task SubscribeAsync(ConnectionMultiplexer multiplexer)
    {
        try
        {
            var subscriber = multiplexer.GetSubscriber();
            await subscriber.SubscribeAsync(_channel, (channel, message) => Forget(ReceiveAsync(message))).ConfigureAwait(false);
            multiplexer.ConnectionRestored += (sender, e) => Forget(CatchUpAsync(multiplexer));
            await CatchUpAsync(multiplexer).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _logger.LogWarning("Subscribing to shared upstream throttling failed ({Error}); it is retried when Redis reconnects", ex.Message);
            multiplexer.ConnectionRestored += (sender, e) => Forget(SubscribeAsync(multiplexer));
        }
    }

    /// <summary>Reads the throttling other instances recorded while this one was not listening.</summary>
    private async Task CatchUpAsync(ConnectionMultiplexer multiplexer)
    {
        try
        {
            var database = multiplexer.GetDatabase();
            foreach (var circuit in _circuits)
            {
                if ((string?)await database.StringGetAsync(Key(circuit.Name)).ConfigureAwait(false) is { } value
                    && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var untilMs))
                {
                    await circuit.OpenForThrottlingElsewhereAsync(DateTimeOffset.FromUnixTimeMilliseconds(untilMs)).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _logger.LogDebug("Reading shared upstream throttling failed: {Error}", ex.Message);
        }
    }

    private async Task ReceiveAsync(RedisValue message)
    {
        var parts = ((string?)message)?.Split('|', 3);
        if (parts is not { Length: 3 } || parts[0] == _self
            || !long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var untilMs))
        {
            return;
        }

        foreach (var circuit in _circuits.Where(c => string.Equals(c.Name, parts[2], StringComparison.Ordinal)))
        {
            await circuit.OpenForThrottlingElsewhereAsync(DateTimeOffset.FromUnixTimeMilliseconds(untilMs)).ConfigureAwait(false);
        }
    }
}
