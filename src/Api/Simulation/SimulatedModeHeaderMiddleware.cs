namespace Wrapper.Api.Simulation;

/// <summary>Adds <c>X-Wrapper-Simulated: true</c> to every response while answers come from a simulator
/// (<c>OPENAI_SIMULATED=true</c>), so that nobody mistakes them for Azure's.</summary>
public sealed class SimulatedModeHeaderMiddleware
{
    public const string HeaderName = "X-Wrapper-Simulated";

    private readonly RequestDelegate _next;

    public SimulatedModeHeaderMiddleware(RequestDelegate next) => _next = next;

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            ((HttpContext)state).Response.Headers[HeaderName] = "true";
            return Task.CompletedTask;
        }, context);
        return _next(context);
    }
}
