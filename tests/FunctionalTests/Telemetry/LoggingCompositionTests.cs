using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wrapper.FunctionalTests.Infrastructure;

namespace Wrapper.FunctionalTests.Telemetry;

/// <summary>What the host's logging and telemetry are made of, as composed by Program: parts chosen for what they cost
/// on every request (bench/results/issue-16-openai.md).</summary>
public sealed class LoggingCompositionTests
{
    [Test]
    public async Task TheLoggerFactoryHandsOutOneLoggerPerCategory()
    {
        await using var factory = new EmbeddedApiFactory();
        var loggers = factory.Services.GetRequiredService<ILoggerFactory>();

        // Serilog's own factory makes a new logger on every call (per request, for the authentication handler).
        var first = loggers.CreateLogger("Wrapper.Category");
        var again = loggers.CreateLogger("Wrapper.Category");
        var other = loggers.CreateLogger("Wrapper.Other");
        Assert.Multiple(() =>
        {
            Assert.That(again, Is.SameAs(first));
            Assert.That(other, Is.Not.SameAs(first));
        });
    }

    [Test]
    public async Task WithoutAnOtlpEndpointNoOpenTelemetrySdkRuns()
    {
        await using var factory = new EmbeddedApiFactory();

        // Spans recorded for nobody cost CPU on every request; the meters stay readable without the SDK.
        Assert.That(factory.Services.GetService<OpenTelemetry.Trace.TracerProvider>(), Is.Null);
    }

    [Test]
    public async Task WithAnOtlpEndpointTheSdkTracesAndExports()
    {
        await using var factory = new EmbeddedApiFactory();
        await using var exporting = factory.WithWebHostBuilder(b => b.UseSetting("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317"));

        Assert.That(exporting.Services.GetService<OpenTelemetry.Trace.TracerProvider>(), Is.Not.Null);
    }
}
