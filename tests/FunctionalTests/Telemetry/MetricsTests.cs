using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Wrapper.Application.Common.Interfaces;
using Wrapper.FunctionalTests.Infrastructure;
using Wrapper.Infrastructure.Telemetry;
using static Wrapper.FunctionalTests.Infrastructure.HttpAssertions;

namespace Wrapper.FunctionalTests.Telemetry;

/// <summary>The <c>Wrapper</c> meter of one host, observed with a <see cref="MeterListener"/> bound to that host's meter
/// only (other tests' hosts run in parallel).</summary>
public sealed class MetricsTests
{
    private sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags);

    private static (MeterListener Listener, ConcurrentQueue<Measurement> Seen) Listen(Meter meter)
    {
        var seen = new ConcurrentQueue<Measurement>();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => seen.Enqueue(new(i.Name, v, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => seen.Enqueue(new(i.Name, v, ToDictionary(tags))));
        listener.Start();
        return (listener, seen);
    }

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            result[tag.Key] = tag.Value;
        }

        return result;
    }

    [Test]
    public async Task ChatShouldEmitRequestTokenAndUpstreamMetrics()
    {
        await using var factory = await UpstreamApiFactory.StartAsync();
        using var client = factory.CreateClient();
        var (listener, seen) = Listen(factory.Services.GetRequiredService<WrapperMetrics>().Meter);
        using (listener)
        {
            using var response = await client.PostAsync("/chat", Json("""{"messages":[{"role":"user","content":"hello there"}]}"""));
            Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
        }

        var all = seen.ToList();
        Assert.Multiple(() =>
        {
            Assert.That(all.Any(m => m.Instrument == "wrapper.requests" && Equals(m.Tags["http.route"], "chat")
                                     && Equals(m.Tags["http.response.status_code"], 200)), Is.True, "wrapper.requests");
            Assert.That(all.Where(m => m.Instrument == "wrapper.tokens" && Equals(m.Tags["deployment"], UpstreamApiFactory.Deployment)
                                       && Equals(m.Tags["kind"], "prompt")).Sum(m => m.Value), Is.GreaterThan(0), "prompt tokens");
            Assert.That(all.Any(m => m.Instrument == "wrapper.tokens" && Equals(m.Tags["kind"], "completion") && m.Value > 0), Is.True, "completion tokens");
            Assert.That(all.Any(m => m.Instrument == "wrapper.upstream.duration" && Equals(m.Tags["deployment"], UpstreamApiFactory.Deployment)
                                     && Equals(m.Tags["http.response.status_code"], "200") && m.Value >= 0), Is.True, "upstream latency");
        });
    }

    [Test]
    public async Task AStreamedChatShouldCountItsTokensOnceItEnds()
    {
        await using var factory = await UpstreamApiFactory.StartAsync();
        using var client = factory.CreateClient();
        var (listener, seen) = Listen(factory.Services.GetRequiredService<WrapperMetrics>().Meter);
        string events;
        using (listener)
        {
            using var response = await client.PostAsync("/chat", Json("""{"messages":[{"role":"user","content":"hello there"}],"stream":true}"""));
            events = await response.Content.ReadAsStringAsync();
            Assert.That((int)response.StatusCode, Is.EqualTo(200), events);
        }

        // The done event carries the usage the upstream reported; the counters must say the same, once.
        using var done = JsonDocument.Parse(events.Split("event: done\ndata: ")[1].Split('\n')[0]);
        var usage = done.RootElement.GetProperty("usage");
        var tokens = seen.Where(m => m.Instrument == "wrapper.tokens" && Equals(m.Tags["deployment"], UpstreamApiFactory.Deployment)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(usage.GetProperty("completion_tokens").GetInt32(), Is.GreaterThan(0));
            Assert.That(tokens.Where(m => Equals(m.Tags["kind"], "prompt")).Sum(m => m.Value), Is.EqualTo(usage.GetProperty("prompt_tokens").GetInt32()));
            Assert.That(tokens.Where(m => Equals(m.Tags["kind"], "completion")).Sum(m => m.Value),
                Is.EqualTo(usage.GetProperty("completion_tokens").GetInt32()));
        });
    }

    [Test]
    public async Task BreakerStateChangesShouldBeCounted()
    {
        await using var factory = new EmbeddedApiFactory();
        var metrics = factory.Services.GetRequiredService<WrapperMetrics>();
        var (listener, seen) = Listen(metrics.Meter);
        using (listener)
        {
            metrics.RecordBreakerStateChange("primary", UpstreamCircuitState.Open);
        }

        var change = seen.Single(m => m.Instrument == "wrapper.circuit_breaker.transitions");
        Assert.Multiple(() =>
        {
            Assert.That(change.Value, Is.EqualTo(1));
            Assert.That(change.Tags["upstream"], Is.EqualTo("primary"));
            Assert.That(change.Tags["state"], Is.EqualTo("open"));
        });
    }
}
