using Woven.Node.Lab;

namespace Woven.Lab.Tests;

/// <summary>
/// The lab of a test: <see cref="NetLab"/> (src/Woven.Node/Lab, shared with <c>woven demo</c>) under a random prefix
/// "wlXXXXXX". Everything it creates goes away on Dispose.
/// </summary>
public sealed class Lab() : NetLab("wl");
