namespace Wrapper.Api.Simulation;

/// <summary>Adds <c>X-Wrapper-Simulated: &lt;sides&gt;</c> to every response while any answers come from a simulator,
/// naming the simulated sides (<c>openai</c>, <c>agents</c> or <c>openai, agents</c>, see <see cref="SimulatedSides"/>),
/// so that nobody mistakes them for Azure's.</summary>
public sealed class SimulatedModeHeaderMiddleware
{
    public const string HeaderName = "X-Wrapper-Simulated";

    private readonly RequestDelegate _next;
    private readonly string _value;

    public SimulatedModeHeaderMiddleware(RequestDelegate next, SimulatedSides sides)
    {
        _next = next;
        _value = sides.HeaderValue;
    }

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var (http, value) = ((HttpContext, string))state;
            http.Response.Headers[HeaderName] = value;
            return Task.CompletedTask;
        }, (context, _value));
        return _next(context);
    }
}
