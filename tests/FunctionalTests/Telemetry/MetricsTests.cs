using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Wrapper.Application.Common.Interfaces;
using Wrapper.FunctionalTests.Infrastructure;
using Wrapper.FunctionalTests.Security;
using Wrapper.Infrastructure.Telemetry;
using static Wrapper.FunctionalTests.Infrastructure.HttpAssertions;

namespace Wrapper.FunctionalTests.Telemetry;

/// <summary>The meters of one host (the <c>Wrapper</c> meter, ASP.NET Core's and HttpClient's), observed with a
/// <see cref="MeterListener"/> bound to that host's meter factory only (other tests' hosts run in parallel).</summary>
public sealed class MetricsTests
{
    private sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags);

    private static (MeterListener Listener, ConcurrentQueue<Measurement> Seen) Listen(Meter meter) =>
        Listen(instrument => ReferenceEquals(instrument.Meter, meter));

    /// <summary>Every meter the host created through its <see cref="IMeterFactory"/>.</summary>
    private static (MeterListener Listener, ConcurrentQueue<Measurement> Seen) Listen(IServiceProvider services)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        return Listen(instrument => ReferenceEquals(instrument.Meter.Scope, factory));
    }

    private static (MeterListener Listener, ConcurrentQueue<Measurement> Seen) Listen(Func<Instrument, bool> select)
    {
        var seen = new ConcurrentQueue<Measurement>();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (select(instrument))
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

    // Issue 13: HTTP is measured once, by the standard instrumentation (http.server.request.duration,
    // http.client.request.duration), and model calls by the OpenTelemetry GenAI conventions; the old wrapper.requests,
    // wrapper.tokens and wrapper.upstream.duration are gone.
    [Test]
    public async Task ChatShouldEmitRequestTokenAndUpstreamMetrics()
    {
        await using var factory = await UpstreamApiFactory.StartAsync();
        using var client = factory.CreateClient();
        var (listener, seen) = Listen(factory.Services);
        using (listener)
        {
            using var response = await client.PostAsync("/chat", Json("""{"messages":[{"role":"user","content":"hello there"}]}"""));
            Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
            // ASP.NET Core records the request once the pipeline has ended, which may be just after the client has the answer.
            for (var waited = 0; waited < 5000 && !seen.Any(m => m.Instrument == "http.server.request.duration"); waited += 20)
            {
                await Task.Delay(20);
            }
        }

        var all = seen.ToList();
        Assert.Multiple(() =>
        {
            Assert.That(all.Count(m => m.Instrument == "http.server.request.duration" && Equals(m.Tags.GetValueOrDefault("http.route"), "chat")
                                       && Equals(m.Tags.GetValueOrDefault("http.response.status_code"), 200)), Is.EqualTo(1), "the request, measured once");
            Assert.That(all.Where(m => m.Instrument == "gen_ai.client.token.usage" && Equals(m.Tags["gen_ai.request.model"], UpstreamApiFactory.Deployment)
                                       && Equals(m.Tags["gen_ai.token.type"], "input")).Sum(m => m.Value), Is.GreaterThan(0), "input tokens");
            Assert.That(all.Any(m => m.Instrument == "gen_ai.client.token.usage" && Equals(m.Tags["gen_ai.token.type"], "output") && m.Value > 0), Is.True,
                "output tokens");
            Assert.That(all.Count(m => m.Instrument == "gen_ai.client.operation.duration" && Equals(m.Tags["gen_ai.request.model"], UpstreamApiFactory.Deployment)
                                       && Equals(m.Tags["gen_ai.operation.name"], "chat") && Equals(m.Tags["gen_ai.provider.name"], "azure.ai.openai")
                                       && !m.Tags.ContainsKey("error.type") && m.Value >= 0), Is.EqualTo(1), "model call latency, once");
            Assert.That(all.Count(m => m.Instrument == "http.client.request.duration" && Equals(m.Tags.GetValueOrDefault("http.response.status_code"), 200)
                                       && Equals(m.Tags.GetValueOrDefault("http.request.method"), "POST")), Is.EqualTo(1), "upstream HTTP latency, once");
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
        var tokens = seen.Where(m => m.Instrument == "gen_ai.client.token.usage" && Equals(m.Tags["gen_ai.request.model"], UpstreamApiFactory.Deployment)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(usage.GetProperty("completion_tokens").GetInt32(), Is.GreaterThan(0));
            Assert.That(tokens.Where(m => Equals(m.Tags["gen_ai.token.type"], "input")).Sum(m => m.Value), Is.EqualTo(usage.GetProperty("prompt_tokens").GetInt32()));
            Assert.That(tokens.Where(m => Equals(m.Tags["gen_ai.token.type"], "output")).Sum(m => m.Value),
                Is.EqualTo(usage.GetProperty("completion_tokens").GetInt32()));
        });
    }

    [Test]
    public async Task AClientRefusalShouldBeTaggedOnTheRequestMetric()
    {
        await using var factory = new SecuredApiFactory(SecuredApiFactory.WithKeys());
        using var client = factory.CreateClient();
        var (listener, seen) = Listen(factory.Services);
        using (listener)
        {
            using var response = await client.GetAsync("/completion?query=hi");
            Assert.That((int)response.StatusCode, Is.EqualTo(401));
            Assert.That(response.Headers.GetValues(WrapperHeaders.Refusal).Single(), Is.EqualTo(WrapperHeaders.ClientRefusal));
            for (var waited = 0; waited < 5000 && !seen.Any(m => m.Instrument == "http.server.request.duration"); waited += 20)
            {
                await Task.Delay(20);
            }
        }

        var request = seen.Single(m => m.Instrument == "http.server.request.duration");
        Assert.Multiple(() =>
        {
            Assert.That(request.Tags["http.response.status_code"], Is.EqualTo(401));
            Assert.That(request.Tags.GetValueOrDefault("wrapper.refusal"), Is.EqualTo("client"), "told apart from a failure of the service");
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
