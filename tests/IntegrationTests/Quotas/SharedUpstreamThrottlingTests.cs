using Azure.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Infrastructure.OpenAI;
using Wrapper.Infrastructure.Quotas;
using Wrapper.Infrastructure.Resilience;
using Wrapper.Testing;

namespace Wrapper.IntegrationTests.Quotas;

/// <summary>When one instance is throttled by an upstream (429 with retry-after), the others stop sending to it too,
/// through a real redis-server: at once for those listening, and from the recorded key for one that connects later.</summary>
[TestFixture]
[NonParallelizable]
public sealed class SharedUpstreamThrottlingTests
{
    private sealed class Instance : IAsyncDisposable
    {
        private readonly RedisConnection _redis;
        private readonly SharedUpstreamThrottling _sharing;

        private Instance(RedisConnection redis, SharedUpstreamThrottling sharing, UpstreamCircuit circuit)
        {
            _redis = redis;
            _sharing = sharing;
            Circuit = circuit;
        }

        public UpstreamCircuit Circuit { get; }

        public static async Task<Instance> StartAsync(string connectionString)
        {
            var options = Options.Create(new RedisOptions { ConnectionString = connectionString });
            var redis = new RedisConnection(options, () => Mock.Of<TokenCredential>(), NullLogger<RedisConnection>.Instance);
            var circuit = new UpstreamCircuit("primary", true, new UpstreamCircuitBreakerOptions(), TimeProvider.System, NullLogger.Instance);
            var sharing = new SharedUpstreamThrottling([circuit], redis, options, TimeProvider.System, NullLogger<SharedUpstreamThrottling>.Instance);
            await sharing.StartAsync(CancellationToken.None);
            await redis.StartAsync(CancellationToken.None);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (redis.Connected is null && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            // Let the subscription reach the server.
            await Task.Delay(300);
            return new Instance(redis, sharing, circuit);
        }

        public async ValueTask DisposeAsync()
        {
            await _sharing.StopAsync(CancellationToken.None);
            await _redis.StopAsync(CancellationToken.None);
            await _redis.DisposeAsync();
        }
    }

    [Test]
    public async Task ShouldStopEveryInstanceSendingToAnUpstreamThatThrottledOne()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await Instance.StartAsync(redis.ConnectionString);
        await using var b = await Instance.StartAsync(redis.ConnectionString);
        Assert.That(b.Circuit.IsAvailable(DateTimeOffset.UtcNow), Is.True);

        // Instance a is throttled for 30 s.
        Assert.ThrowsAsync<UpstreamException>(async () => await a.Circuit.ExecuteAsync<int>(
            _ => throw new UpstreamException(UpstreamFailure.Throttled, "429", TimeSpan.FromSeconds(30), 429), CancellationToken.None));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (b.Circuit.IsAvailable(DateTimeOffset.UtcNow) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var (state, until, because) = b.Circuit.Snapshot(DateTimeOffset.UtcNow);
        Assert.Multiple(() =>
        {
            Assert.That(a.Circuit.IsAvailable(DateTimeOffset.UtcNow), Is.False);
            Assert.That(state, Is.EqualTo(UpstreamCircuitState.Open), "instance b stopped sending too");
            Assert.That(because, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(until, Is.GreaterThan(DateTimeOffset.UtcNow + TimeSpan.FromSeconds(20)).And.LessThanOrEqualTo(DateTimeOffset.UtcNow + TimeSpan.FromSeconds(31)));
        });

        // An instance that connects later learns it from the key, whose TTL is the retry-after.
        await using var c = await Instance.StartAsync(redis.ConnectionString);
        Assert.That(c.Circuit.Snapshot(DateTimeOffset.UtcNow).State, Is.EqualTo(UpstreamCircuitState.Open));
        var ttl = await redis.CommandAsync("PTTL wrapper:upstream:primary:throttled");
        Assert.That(long.Parse(ttl.TrimStart(':'), System.Globalization.CultureInfo.InvariantCulture), Is.InRange(20_000, 30_000));
    }
}
