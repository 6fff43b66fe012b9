using Serilog;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;
using Wrapper.Api.Correlation;
using Wrapper.Api.Security;

namespace Wrapper.Api.Hosting;

/// <summary>Serilog: levels from the <c>Serilog</c> configuration section, console output as text or, with
/// <c>LOG_FORMAT=json</c>, compact JSON (one event per line, for log collectors). Every event written while
/// serving a request carries its <c>CorrelationId</c>. When standard output is redirected (containers, files, pipes)
/// lines are written in batches off the request path (<see cref="BatchedConsoleSink"/>); on a terminal, as they happen.</summary>
public static class Logging
{
    public const string FormatKey = "LOG_FORMAT";

    private const string TextTemplate =
        "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}{CorrelationSuffix}: {Message:lj}{NewLine}{Exception}";

    /// <summary>The most log events waiting to be written when standard output is redirected; more are dropped
    /// (<see cref="BatchedConsoleSink"/>).</summary>
    public const int ConsoleQueueLimit = 100_000;

    public static WebApplicationBuilder AddSerilogLogging(this WebApplicationBuilder builder)
    {
        var json = string.Equals(builder.Configuration[FormatKey], "json", StringComparison.OrdinalIgnoreCase);
        builder.Services.AddSerilog((services, logger) =>
        {
            logger
                .MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
                .MinimumLevel.Override("System.Net.Http.HttpClient", LogEventLevel.Warning)
                .ReadFrom.Configuration(builder.Configuration)
                // Sinks and enrichers registered in the container too (ILogEventSink, ILogEventEnricher): a host or a
                // test can add one without a configuration assembly.
                .ReadFrom.Services(services)
                .Enrich.FromLogContext();
            if (!json)
            {
                logger.Enrich.With<CorrelationSuffixEnricher>();
            }

            if (Console.IsOutputRedirected)
            {
                ITextFormatter formatter = json
                    ? new RenderedCompactJsonFormatter()
                    : new MessageTemplateTextFormatter(TextTemplate, System.Globalization.CultureInfo.InvariantCulture);
                logger.WriteTo.Sink(new BatchedConsoleSink(formatter, Console.OpenStandardOutput()));
            }
            else if (json)
            {
                logger.WriteTo.Console(new RenderedCompactJsonFormatter());
            }
            else
            {
                // A terminal: the console sink's colours, each line as it happens.
                logger.WriteTo.Console(outputTemplate: TextTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
            }
        });
        CacheLoggersByCategory(builder.Services);
        return builder;
    }

    /// <summary>Serilog's logger factory makes a new logger (a Serilog <c>ForContext</c> logger and its own event-id cache)
    /// on every <c>CreateLogger</c> call, where Microsoft's factory keeps one per category. Components created per request
    /// call it per request (authentication handlers, for one), which showed in bench/'s allocation profile; this keeps
    /// one logger per category, as Microsoft's factory does.</summary>
    internal static void CacheLoggersByCategory(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(ILoggerFactory));
        if (registered?.ImplementationFactory is not { } create)
        {
            return;
        }

        services.Remove(registered);
        services.AddSingleton<ILoggerFactory>(sp => new CategoryCachingLoggerFactory((ILoggerFactory)create(sp)));
    }

    /// <summary>Request logging: one event per request with method, path (never the query string, which may
    /// carry a prompt), status, time, correlation id, the gateway's backend slot (<c>BackendInstance</c>, from
    /// <c>X-Backend-Instance</c>) and, behind a gateway's key, the APIM <c>Subscriber</c> and <c>Product</c>; 5xx as errors, 4xx as warnings, aborted requests as
    /// information.</summary>
    public static IApplicationBuilder UseRequestLogging(this IApplicationBuilder app) =>
        app.UseSerilogRequestLogging(options =>
        {
            options.MessageTemplate = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms";
            options.GetLevel = (context, _, exception) => context.Response.StatusCode switch
            {
                StatusCodes.Status499ClientClosedRequest => LogEventLevel.Information,
                >= 500 => LogEventLevel.Error,
                >= 400 => LogEventLevel.Warning,
                _ when exception is not null => LogEventLevel.Error,
                _ => LogEventLevel.Information,
            };
            options.EnrichDiagnosticContext = (diagnostics, context) =>
            {
                if (context.GetCorrelationId() is { } id)
                {
                    diagnostics.Set("CorrelationId", id);
                }

                if (BackendInstance(context.Request) is { } instance)
                {
                    diagnostics.Set("BackendInstance", instance);
                }

                if (ClientPartition.Subscriber(context) is { } subscriber)
                {
                    diagnostics.Set("Subscriber", subscriber);
                    if (ClientPartition.Product(context) is { } product)
                    {
                        diagnostics.Set("Product", product);
                    }
                }
            };
        });

    /// <summary>The gateway's <c>X-Backend-Instance</c> (the slot it sent the request to: 0-4 behind APIM, the backend's
    /// name behind src/Gateway) when it is a short name; anything else is left out of the log.</summary>
    public static string? BackendInstance(HttpRequest request)
    {
        var values = request.Headers[WrapperHeaders.BackendInstance];
        if (values.Count != 1 || values[0] is not { Length: > 0 and <= 64 } value)
        {
            return null;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return null;
            }
        }

        return value;
    }

    /// <summary>Renders " [correlation-id]" in text output when the event has one.</summary>
    private sealed class CorrelationSuffixEnricher : Serilog.Core.ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, Serilog.Core.ILogEventPropertyFactory propertyFactory)
        {
            var suffix = logEvent.Properties.TryGetValue("CorrelationId", out var value) && value is ScalarValue { Value: string id }
                ? $" [{id}]"
                : string.Empty;
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("CorrelationSuffix", suffix));
        }
    }
}
